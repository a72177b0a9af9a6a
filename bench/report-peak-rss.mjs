// Preloaded (node --import) into a bptt process by bench/stream-memory.ts: at exit it prints the
// process's peak resident set size (all threads), as measured by the OS.
process.on('exit', () => process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\n`));
