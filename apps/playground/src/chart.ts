/** A small line chart on a canvas: a few series over optimizer steps, with labelled axes. */
export interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** Draw a dot at each point (sparse series, e.g. one evaluation per epoch). */
  dots?: boolean;
}

export interface ChartOptions {
  xMax: number;
  yMin?: number;
  yMax?: number;
  /** Format a y tick (e.g. as a percentage). */
  format?: (y: number) => string;
}

const PAD = { left: 44, right: 12, top: 10, bottom: 24 };

export function drawChart(canvas: HTMLCanvasElement, series: Series[], o: ChartOptions): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const yMin = o.yMin ?? Math.min(...ys, 0);
  const yMax = o.yMax ?? Math.max(...ys, yMin + 1e-6);
  const plotW = w - PAD.left - PAD.right;
  const plotH = h - PAD.top - PAD.bottom;
  const px = (x: number) => PAD.left + (x / Math.max(1, o.xMax)) * plotW;
  const py = (y: number) => PAD.top + (1 - (y - yMin) / (yMax - yMin || 1)) * plotH;
  const format = o.format ?? ((y: number) => y.toFixed(2));

  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#52606d";
  ctx.strokeStyle = "#e4e7eb";
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = yMin + ((yMax - yMin) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(PAD.left, py(y));
    ctx.lineTo(w - PAD.right, py(y));
    ctx.stroke();
    ctx.textAlign = "right";
    ctx.fillText(format(y), PAD.left - 4, py(y) + 4);
  }
  ctx.textAlign = "center";
  for (let i = 0; i <= 5; i++) {
    const x = Math.round((o.xMax * i) / 5);
    ctx.fillText(String(x), px(x), h - 8);
  }

  let legendX = PAD.left + 8;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => {
      if (i === 0) ctx.moveTo(px(x), py(y));
      else ctx.lineTo(px(x), py(y));
    });
    ctx.stroke();
    if (s.dots) {
      for (const [x, y] of s.points) {
        ctx.beginPath();
        ctx.arc(px(x), py(y), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.textAlign = "left";
    ctx.fillText(s.label, legendX, PAD.top + 12);
    legendX += ctx.measureText(s.label).width + 16;
  }
}
