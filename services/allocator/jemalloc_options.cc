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
//
// thp:always: jemalloc asks for transparent huge pages (madvise
// MADV_HUGEPAGE) for the memory it maps, where the kernel leaves them to
// the program (Debian's default, "madvise"). A process that grows touches
// each new page once, and a fault per 4 KiB page is dear on a virtual
// machine: indexing a million lessons faulted 66,500 times in its first
// 4.5 s, against 8,600 with huge pages, and took 15% less CPU (fewer TLB
// misses too). The cost is memory: a huge page is kept whole while any of
// it is used, so retrod held 95 MiB at its peak serving 1,000 watchers
// against 65. Redis turns huge pages off because they make its fork() for
// snapshots copy 2 MiB per touched page; retrod does not fork. Where
// latency spikes from the kernel compacting memory for huge pages are a
// concern, MALLOC_CONF=thp:default turns this off.
extern "C" {
const char* malloc_conf = "background_thread:true,thp:always";
}
