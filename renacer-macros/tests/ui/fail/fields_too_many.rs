#[renacer::trace(fields(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q))]
fn many() -> u32 {
    let (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p + q
}

fn main() {}
