// The options jemalloc runs retro's programs with. jemalloc reads the
// program's `malloc_conf` string once, when it starts; the MALLOC_CONF
// environment variable, read after it, still overrides any of them (for
// example MALLOC_CONF=background_thread:false).
//
// background_thread:true: freed memory goes back to the kernel from
// jemalloc's own threads, in large runs, instead of a few pages at a time
// from whichever thread happened to free. Indexing a batch of lessons
// allocates and frees hundreds of megabytes; returned inline, that was
// about 15,000 madvise calls and their TLB flushes and page faults for a
// million lessons, about a fifth of the load's CPU on this machine (see
// tests/bench/analysis.md). Redis runs jemalloc the same way.
extern "C" {
const char* malloc_conf = "background_thread:true";
}
