trait Store {
    #[renacer::trace]
    fn get(&self, key: u32) -> u32;
}

fn main() {}
