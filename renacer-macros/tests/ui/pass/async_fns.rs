//! async fn of every supported shape compiles, and the futures stay Send.
#![deny(warnings)]

use std::future::Future;

#[derive(Debug)]
struct MyError;

#[renacer::trace]
async fn unit() {}

#[renacer::trace]
async fn value(x: u32) -> u32 {
    if x > 10 {
        return 10;
    }
    unit().await;
    x + 1
}

#[renacer::trace]
async fn fallible(x: u32) -> Result<u32, MyError> {
    let y = check(x)?;
    if y == 3 {
        return Err(MyError);
    }
    Ok(y)
}

fn check(x: u32) -> Result<u32, MyError> {
    Ok(x)
}

#[renacer::trace]
async fn boxed_error(s: &str) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(s.parse::<u32>()?)
}

#[renacer::trace(sample = 0.5, decision = "async::lowered")]
async fn generic<T: Send + Clone>(x: &T) -> T {
    x.clone()
}

#[renacer::trace]
async fn borrows<'a>(a: &'a str, b: &str) -> &'a str {
    let _ = b.len();
    a
}

#[renacer::trace]
async fn impl_arg(x: impl std::fmt::Display + Send) -> String {
    x.to_string()
}

struct Service {
    calls: u32,
}

impl Service {
    #[renacer::trace]
    async fn call(&self, x: u32) -> u32 {
        value(x).await + self.calls
    }

    #[renacer::trace]
    async fn call_mut(&mut self) {
        self.calls += 1;
    }

    #[renacer::trace]
    async fn consume(self) -> u32 {
        self.calls
    }
}

trait Handler {
    fn handle(&self, x: u32) -> impl Future<Output = u32> + Send;
}

impl Handler for Service {
    #[renacer::trace]
    async fn handle(&self, x: u32) -> u32 {
        x * self.calls
    }
}

fn assert_send<F: Future + Send>(f: F) -> F {
    f
}

fn main() {
    let mut s = Service { calls: 1 };
    let _ = assert_send(unit());
    let _ = assert_send(value(3));
    let _ = assert_send(fallible(1));
    let _ = assert_send(boxed_error("1"));
    let _ = assert_send(generic(&5u8));
    let _ = assert_send(borrows("a", "b"));
    let _ = assert_send(impl_arg(1));
    let _ = assert_send(s.call(1));
    let _ = assert_send(s.handle(1));
    let _ = assert_send(s.call_mut());
    let _ = assert_send(s.consume());
}
