//! `reddish-server`: started exactly like `redis-server`.

#[global_allocator]
static ALLOCATOR: reddish::alloc::CountingAllocator = reddish::alloc::CountingAllocator;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(reddish::cli::main(args));
}
