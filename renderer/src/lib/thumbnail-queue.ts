/**
 * Loads thumbnails a few at a time, newest request first, and cancels the ones whose tiles left
 * the grid. After a fast scroll the tiles now in view asked last, so they load first instead of
 * waiting behind thousands of requests for rows long gone (a plain `<img src>` per tile queued
 * 6,500 of them and left the visible ones blank for up to 17 s at 20,000 photos).
 *
 * Cancelling removes the image's `src`: browsers drop the request of an image that no longer
 * wants it (HTML's "update the image data" aborts the previous fetch).
 */
export class ThumbnailQueue {
  /** Waiting requests; the last is the newest and goes next. */
  private readonly waiting: { img: HTMLImageElement; url: string }[] = [];
  private readonly loading = new Map<HTMLImageElement, () => void>();

  /** `concurrency`: loads at once; 6 is what a browser opens per host over HTTP/1.1. */
  constructor(private readonly concurrency = 6) {}

  /** Asks for `url` in `img`; returns the cancel, which is harmless once the image loaded. */
  request(img: HTMLImageElement, url: string): () => void {
    const entry = { img, url };
    this.waiting.push(entry);
    this.pump();
    return () => {
      const at = this.waiting.indexOf(entry);
      if (at >= 0) this.waiting.splice(at, 1);
      const finish = this.loading.get(img);
      if (finish) {
        img.removeAttribute('src');
        finish();
      }
    };
  }

  /** Requests waiting plus loading, for tests and measurements. */
  get pending(): number {
    return this.waiting.length + this.loading.size;
  }

  private pump(): void {
    while (this.loading.size < this.concurrency && this.waiting.length > 0) {
      const { img, url } = this.waiting.pop()!;
      const finish = () => {
        img.removeEventListener('load', finish);
        img.removeEventListener('error', finish);
        if (this.loading.delete(img)) this.pump();
      };
      this.loading.set(img, finish);
      img.addEventListener('load', finish);
      img.addEventListener('error', finish);
      img.src = url;
    }
  }
}
