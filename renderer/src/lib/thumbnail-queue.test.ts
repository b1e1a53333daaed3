import { describe, expect, it } from 'vitest';
import { ThumbnailQueue } from './thumbnail-queue';

const images = (n: number) => Array.from({ length: n }, () => document.createElement('img'));
const srcs = (imgs: HTMLImageElement[]) => imgs.map((img) => img.getAttribute('src'));

describe('ThumbnailQueue', () => {
  it('loads a few at a time, the newest request first', () => {
    const queue = new ThumbnailQueue(2);
    const imgs = images(5);
    for (const [i, img] of imgs.entries()) queue.request(img, `/media/${i}/thumb`);
    // The first two started at once; of the three waiting, the newest (4) goes next.
    expect(srcs(imgs)).toEqual(['/media/0/thumb', '/media/1/thumb', null, null, null]);
    imgs[0].dispatchEvent(new Event('load'));
    expect(srcs(imgs)).toEqual(['/media/0/thumb', '/media/1/thumb', null, null, '/media/4/thumb']);
    imgs[1].dispatchEvent(new Event('error'));
    expect(imgs[3].getAttribute('src')).toBe('/media/3/thumb');
    expect(queue.pending).toBe(3);
  });

  it('cancels tiles that left the grid: a waiting one never loads, a loading one drops its request', () => {
    const queue = new ThumbnailQueue(1);
    const [gone, waiting, visible] = images(3);
    const cancelGone = queue.request(gone, '/media/1/thumb');
    const cancelWaiting = queue.request(waiting, '/media/2/thumb');
    queue.request(visible, '/media/3/thumb');
    cancelWaiting();
    cancelGone();
    expect(gone.hasAttribute('src')).toBe(false);
    expect(waiting.hasAttribute('src')).toBe(false);
    expect(visible.getAttribute('src')).toBe('/media/3/thumb');
    expect(queue.pending).toBe(1);
  });
});
