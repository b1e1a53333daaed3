// The largest image a model may ask for, checked on its declared input before onnxruntime or
// the preprocessor allocates anything: a file declaring 1×3×20000×20000 would otherwise make
// Graft allocate a 4.8 GB input tensor (and far more for the activations) for a single photo.

/**
 * Largest input side in pixels. Image backbones in use take 224–600 px (EfficientNet-B7: 600,
 * DINOv2 ViT: 518); 1024 leaves room for high-resolution models while one float32 RGB input
 * stays at 1024×1024×3×4 B = 12.6 MB per photo and conv activations (which grow with the area)
 * at about 21× those of a 224-px model.
 */
export const MAX_INPUT_SIDE = 1024;

/**
 * Why a declared input size cannot be used, or null when it can.
 * @param model the model's name as the person knows it (file or folder name), for the message
 * @param height,width the declared spatial size in pixels
 */
export function inputSizeProblem(model: string, height: number, width: number): string | null {
  const sides = [height, width];
  if (sides.every((s) => Number.isInteger(s) && s >= 1 && s <= MAX_INPUT_SIDE)) return null;
  if (sides.some((s) => Number.isInteger(s) && s > MAX_INPUT_SIDE)) {
    return (
      `The model “${model}” asks for ${height}×${width}-pixel photos; Graft accepts inputs up to ` +
      `${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE} pixels, because a larger input would need gigabytes of memory per photo.`
    );
  }
  return `The model “${model}” declares an input of ${height}×${width} pixels, which is not an image size.`;
}
