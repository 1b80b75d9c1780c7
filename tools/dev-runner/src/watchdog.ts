// Preloaded into every child the runner starts (`node --import <this file> <entry>`): when the
// runner dies without stopping it (SIGKILL, a crash), the child is re-parented, notices within half
// a second and stops itself: gracefully with SIGTERM, forcibly 10 s later. So no child outlives
// the runner. Written without type annotations: when the runner runs from its sources (Jest), this
// text is passed to the child as a data: URL.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 10_000).unref();
  process.kill(process.pid, 'SIGTERM');
}, 500);
timer.unref();

export {};
