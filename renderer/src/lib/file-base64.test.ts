import { describe, expect, it } from 'vitest';
import { fileToBase64 } from './file-base64';

describe('fileToBase64', () => {
  it('encodes every byte, across slices', async () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
    const encoded = await fileToBase64(new Blob([bytes]));
    expect(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0))).toEqual(bytes);
  });

  it('encodes an empty file as an empty string', async () => {
    expect(await fileToBase64(new Blob([]))).toBe('');
  });
});
