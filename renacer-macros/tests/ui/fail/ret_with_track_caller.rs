#[track_caller]
#[renacer::trace(ret)]
fn located() -> u32 {
    std::panic::Location::caller().line()
}

fn main() {
    located();
}
