// Preloaded (`node --require`) into a process a test spawns in its own process group: it exits
// when the test process named by EXIT_WITH_PID is gone, so a test run killed before its afterAll
// leaves nothing behind.
const parent = Number(process.env.EXIT_WITH_PID);
if (parent > 0) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(1);
    }
  }, 1000).unref();
}
