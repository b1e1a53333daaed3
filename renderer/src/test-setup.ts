// jsdom lacks the layout APIs Svelte's size bindings and the grid use.
import '@testing-library/svelte/vitest';

class NoopResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}

globalThis.ResizeObserver ??= NoopResizeObserver;
Element.prototype.scrollTo ??= () => {};

// jsdom has no 2D canvas (and complains when asked); charts skip drawing without one.
HTMLCanvasElement.prototype.getContext = (() => null) as HTMLCanvasElement['getContext'];

// jsdom has no object URLs; previews of dropped photos only need a distinct string.
let objectUrls = 0;
URL.createObjectURL ??= () => `blob:test/${++objectUrls}`;
URL.revokeObjectURL ??= () => {};
