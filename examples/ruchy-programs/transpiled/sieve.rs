fn count_primes(limit: usize) -> usize {
    let mut is_prime = vec![true; limit + 1];
    is_prime[0 as usize] = false;
    is_prime[1 as usize] = false;
    let mut i = 2;
    while i * i <= limit {
        {
            if is_prime[i as usize].clone() {
                let mut j = i * i;
                while j <= limit {
                    {
                        is_prime[j as usize] = false;
                        j = j + i;
                    }
                }
            }
            i = i + 1;
        }
    }
    let mut count = 0;
    for p in is_prime {
        {
            if p {
                count = count + 1;
            }
        }
    }
    count
}
fn main() {
    {
        let total = count_primes(2000000);
        println!("{:?}", total)
    }
}
