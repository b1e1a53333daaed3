/**
 * Runs `fn` at most once every `ms` while calls keep coming, and once more after the last of
 * them, so a steady stream (one event per imported photo) refreshes regularly instead of only
 * when it stops, as a debounce would.
 */
export function throttle(fn: () => void, ms: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  const fire = () => {
    timer = undefined;
    if (!pending) return;
    pending = false;
    fn();
    timer = setTimeout(fire, ms);
  };
  const run = () => {
    pending = true;
    if (timer === undefined) fire();
  };
  run.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
    pending = false;
  };
  return run;
}
