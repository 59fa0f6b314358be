/**
 * Post-processing for segmentations: keep, for each foreground class, only its largest
 * 6-connected component (nnU-Net's "remove all but the largest component"), setting the
 * other components' voxels to background. Helps when a structure is known to be one piece and
 * the network leaves small false-positive islands.
 */
type Triple = [number, number, number];

export function keepLargestComponent(labels: Int32Array, shape: Triple, classes: number): Int32Array {
  const [D, H, W] = shape;
  const out = labels.slice();
  const comp = new Int32Array(labels.length).fill(-1);
  const stack = new Int32Array(labels.length);
  for (let k = 1; k < classes; k++) {
    const sizes: number[] = [];
    for (let s = 0; s < labels.length; s++) {
      if (labels[s] !== k || comp[s] !== -1) continue;
      const id = sizes.length;
      let top = 0;
      let size = 0;
      stack[top++] = s;
      comp[s] = id;
      while (top) {
        const i = stack[--top]!;
        size++;
        const x = i % W;
        const y = Math.floor(i / W) % H;
        const z = Math.floor(i / (W * H));
        const visit = (j: number) => {
          if (labels[j] === k && comp[j] === -1) {
            comp[j] = id;
            stack[top++] = j;
          }
        };
        if (x > 0) visit(i - 1);
        if (x < W - 1) visit(i + 1);
        if (y > 0) visit(i - W);
        if (y < H - 1) visit(i + W);
        if (z > 0) visit(i - W * H);
        if (z < D - 1) visit(i + W * H);
      }
      sizes.push(size);
    }
    if (sizes.length < 2) continue;
    const keep = sizes.indexOf(Math.max(...sizes));
    for (let i = 0; i < labels.length; i++) if (labels[i] === k && comp[i] !== keep) out[i] = 0;
  }
  return out;
}
