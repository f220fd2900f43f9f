//! Methods: inherent, trait impls, trait default methods, generic impls.
#![deny(warnings)]

struct Counter {
    n: u64,
}

impl Counter {
    #[renacer::trace]
    fn new() -> Self {
        Counter { n: 0 }
    }

    #[renacer::trace]
    fn get(&self) -> u64 {
        self.n
    }

    #[renacer::trace(name = "Counter::bump")]
    fn bump(&mut self, by: u64) -> &mut Self {
        self.n += by;
        self
    }

    #[renacer::trace]
    fn into_inner(self) -> u64 {
        self.n
    }

    #[renacer::trace]
    pub(crate) fn visible(&self) -> bool {
        true
    }
}

trait Shape {
    fn area(&self) -> f64;

    #[renacer::trace]
    fn describe(&self) -> String {
        format!("area {}", self.area())
    }
}

struct Square(f64);

impl Shape for Square {
    #[renacer::trace]
    fn area(&self) -> f64 {
        self.0 * self.0
    }
}

struct Wrapper<T>(T);

impl<T: Clone> Wrapper<T> {
    #[renacer::trace]
    fn cloned(&self) -> T {
        self.0.clone()
    }

    #[renacer::trace]
    fn map<U, F: FnOnce(T) -> U>(self, f: F) -> Wrapper<U> {
        Wrapper(f(self.0))
    }
}

impl Drop for Square {
    #[renacer::trace]
    fn drop(&mut self) {}
}

fn main() {
    let mut c = Counter::new();
    c.bump(2).bump(3);
    let _ = c.get() + u64::from(c.visible());
    let _ = c.into_inner();
    let s = Square(2.0);
    let _ = s.describe();
    let w = Wrapper(3u8);
    let _ = w.cloned();
    let _ = w.map(|x| u32::from(x) + 1).cloned();
}
