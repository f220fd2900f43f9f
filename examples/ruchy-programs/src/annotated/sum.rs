#[cfg_attr(feature = "trace", renacer::trace(decision = "codegen::fill", source = "sum.ruchy:1"))]
fn fill(n: i64) -> Vec<i64> {
    let mut values = Vec::new();
    let mut i = 0;
    while i < n {
        {
            values.push(i % 1000);
            i = i + 1;
        }
    }
    values
}
#[cfg_attr(feature = "trace", renacer::trace(decision = "codegen::array_sum", source = "sum.ruchy:11"))]
fn array_sum(values: &Vec<i64>) -> i64 {
    let mut total = 0;
    for v in values {
        { total = total + v }
    }
    total
}
fn main() {
    {
        let values = fill(1000000);
        {
            let mut grand = 0;
            let mut round = 0;
            while round < 20 {
                {
                    grand = grand + array_sum(&values);
                    round = round + 1;
                }
            }
            println!("{:?}", grand)
        }
    }
}
