#[cfg_attr(feature = "trace", renacer::trace(decision = "codegen::write_input", source = "wordcount.ruchy:1"))]
fn write_input(path: &str, lines: i64) -> bool {
    let mut text = String::new();
    let mut i = 0;
    while i < lines {
        {
            text.push_str("the quick brown fox jumps over the lazy dog\n");
            i = i + 1;
        }
    }
    std::fs::write(path, text).is_ok()
}
#[cfg_attr(feature = "trace", renacer::trace(decision = "codegen::count_words", source = "wordcount.ruchy:11"))]
fn count_words(path: &str) -> i64 {
    {
        let text = std::fs::read_to_string(path).unwrap();
        {
            let mut words = 0;
            for word in text.split_whitespace() {
                { words = words + 1 }
            }
            words
        }
    }
}
fn main() {
    {
        let path = "/tmp/ruchy-wordcount-input.txt";
        {
            let written = write_input(path, 10000);
            {
                let mut words = count_words(path);
                {
                    let removed = std::fs::remove_file(path).is_ok();
                    println!("{:?}", words)
                }
            }
        }
    }
}
