//! Compute blocks in the trace: trueno dot products, a reduction and a
//! matmul inside `#[renacer::trace]` functions that read their input from
//! a file. Run it under the CLI to see each block between its function
//! span and the syscalls:
//!
//! ```sh
//! cargo build --release -p compute-demo -p renacer-cli
//! target/release/renacer -f --format unified -- target/release/compute-demo
//! ```
//!
//! Blocks shorter than the SIMD threshold (50 µs by default; the second and
//! third dot products usually are, their data being in cache) are counted
//! in `stats().below_threshold`, not recorded; the program prints the count.
//! A syscall made inside a block (an allocation's `mmap`, a worker thread's
//! `clone3`) nests under it in the unified trace.

use std::io::Write;
use std::path::{Path, PathBuf};

use renacer::compute::trueno::Traced;
use trueno::{Matrix, Vector};

const N: usize = 1 << 20;
const DIM: usize = 256;

/// Writes the input: `N` little-endian f32 values.
#[renacer::trace]
fn write_input(path: &Path) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..N {
        let x = ((i * 7919) % 10_007) as f32 / 10_007.0 - 0.5;
        f.write_all(&x.to_le_bytes())?;
    }
    f.flush()
}

/// Reads it back.
#[renacer::trace]
fn load(path: &Path) -> std::io::Result<Vec<f32>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Two dot products and the cosine of the two halves.
#[renacer::trace]
fn similarity(xs: &[f32]) -> f32 {
    let (a, b) = xs.split_at(xs.len() / 2);
    let (a, b) = (Vector::from_slice(a), Vector::from_slice(b));
    let ab = a.traced().dot(&b).expect("same length");
    let aa = a.traced().dot(&a).expect("same length");
    let bb = b.traced().dot(&b).expect("same length");
    ab / (aa.sqrt() * bb.sqrt())
}

/// Mean and standard deviation (a reduction, then trueno's two-pass variance).
#[renacer::trace]
fn statistics(xs: &[f32]) -> (f32, f32) {
    let v = Vector::from_slice(xs);
    (
        v.traced().mean().expect("not empty"),
        v.traced().stddev().expect("not empty"),
    )
}

/// A `DIM`×`DIM` product of two matrices cut from the input.
#[renacer::trace]
fn project(xs: &[f32]) -> f32 {
    let a = Matrix::from_vec(DIM, DIM, xs[..DIM * DIM].to_vec()).expect("shape");
    let b = Matrix::from_vec(DIM, DIM, xs[DIM * DIM..2 * DIM * DIM].to_vec()).expect("shape");
    let c = a.traced().matmul(&b).expect("shapes agree");
    c.as_slice().iter().sum()
}

fn main() -> std::io::Result<()> {
    let guard = renacer::init();
    let dir = std::env::temp_dir().join(format!("compute-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let input: PathBuf = dir.join("input.f32");
    write_input(&input)?;
    let xs = load(&input)?;
    let cos = similarity(&xs);
    let (mean, sd) = statistics(&xs);
    let trace = project(&xs);
    println!("cosine {cos:.4}  mean {mean:.4}  stddev {sd:.4}  trace-sum {trace:.2}");
    std::fs::remove_dir_all(&dir)?;
    renacer::flush();
    println!(
        "compute blocks under the threshold (counted, not recorded): {}",
        renacer::stats().below_threshold
    );
    drop(guard);
    Ok(())
}
