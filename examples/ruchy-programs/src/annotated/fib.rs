#[cfg_attr(feature = "trace", renacer::trace(decision = "codegen::fib", source = "fib.ruchy:1"))]
fn fib(n: i64) -> i64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}
fn main() {
    {
        let result = fib(35);
        println!("{:?}", result)
    }
}
