/**
 * The drawing pad, and the preprocessing that makes a drawing look like an MNIST digit: the
 * strokes' bounding box scaled into 20×20 pixels, then moved so that the centre of mass sits at
 * the centre of the 28×28 image (how the MNIST digits were prepared).
 */
export function attachPad(canvas: HTMLCanvasElement, onStroke: () => void): () => void {
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (ctx === null) throw new Error("pad: no 2D canvas context");
  const clear = () => {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let drawing = false;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * canvas.width) / r.width,
      ((e.clientY - r.top) * canvas.height) / r.height,
    ];
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    const [x, y] = at(e);
    ctx.strokeStyle = "white";
    ctx.lineWidth = canvas.width / 12;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const [x, y] = at(e);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    onStroke();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  return clear;
}

/** The drawing as 784 values in [0, 1] (white on black), or null when the pad is empty. */
export function toMnist(canvas: HTMLCanvasElement): Float32Array | null {
  const src = canvas.getContext("2d", { willReadFrequently: true });
  if (src === null) return null;
  const { width: w, height: h } = canvas;
  const pixels = src.getImageData(0, 0, w, h).data;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (pixels[(y * w + x) * 4]! > 25) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const small = document.createElement("canvas");
  small.width = 28;
  small.height = 28;
  const ctx = small.getContext("2d", { willReadFrequently: true });
  if (ctx === null) return null;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  const draw = (dx: number, dy: number) => {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, 28, 28);
    ctx.drawImage(canvas, x0, y0, bw, bh, dx, dy, bw * scale, bh * scale);
    const data = ctx.getImageData(0, 0, 28, 28).data;
    const out = new Float32Array(28 * 28);
    for (let i = 0; i < out.length; i++) out[i] = data[i * 4]! / 255;
    return out;
  };
  const boxed = draw((28 - bw * scale) / 2, (28 - bh * scale) / 2);
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < boxed.length; i++) {
    mass += boxed[i]!;
    cx += (i % 28) * boxed[i]!;
    cy += Math.floor(i / 28) * boxed[i]!;
  }
  const shiftX = Math.round(13.5 - cx / mass);
  const shiftY = Math.round(13.5 - cy / mass);
  return draw((28 - bw * scale) / 2 + shiftX, (28 - bh * scale) / 2 + shiftY);
}

/** Show the 28×28 input on a small canvas. */
export function showInput(canvas: HTMLCanvasElement, pixels: Float32Array | null): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const image = ctx.createImageData(28, 28);
  for (let i = 0; i < 28 * 28; i++) {
    const v = Math.round((pixels?.[i] ?? 0) * 255);
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}
