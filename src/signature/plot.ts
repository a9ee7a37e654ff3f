/**
 * The validation plot (drawing: points in, PNG bytes out): each lesion's score against its ground
 * truth, coloured by site, with the hot/cold cut-off and the target's median split, and the
 * agreement figures in the title.
 */
import { createCanvas } from '@napi-rs/canvas';
import type { LesionSite } from '../results/types';
import type { Validation } from './validate';
import { formatEstimate, formatNumber } from './format';
import { canvasFont } from '../drawing/fonts';

const SITE_COLOURS: Record<LesionSite, string> = {
  liver: '#c0392b',
  lung: '#2471a3',
  lymph_node: '#239b56',
  head_and_neck: '#b9770e',
  other: '#7d3c98',
  unknown: '#566573',
};

/** Round axis steps: 1, 2 or 5 × 10^k, about `count` of them across the range. */
function ticks(lo: number, hi: number, count = 6): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function validationPlot(v: Validation, labels: { signature: string; target: string }, width = 900, height = 650): Buffer {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const m = { left: 90, right: 190, top: 80, bottom: 70 };
  const W = width - m.left - m.right;
  const H = height - m.top - m.bottom;
  const xs = v.points.map((p) => p.score);
  const ys = v.points.map((p) => p.target);
  const pad = (lo: number, hi: number) => {
    const d = hi - lo || Math.abs(hi) || 1;
    return [lo - 0.06 * d, hi + 0.06 * d] as const;
  };
  const [x0, x1] = pad(Math.min(...xs, v.threshold ?? Infinity), Math.max(...xs, v.threshold ?? -Infinity));
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const px = (x: number) => m.left + ((x - x0) / (x1 - x0)) * W;
  const py = (y: number) => m.top + H - ((y - y0) / (y1 - y0)) * H;

  // Grid and axes.
  ctx.font = canvasFont(13);
  ctx.strokeStyle = '#e5e7e9';
  ctx.fillStyle = '#333333';
  ctx.lineWidth = 1;
  ctx.textAlign = 'center';
  for (const t of ticks(x0, x1)) {
    ctx.beginPath();
    ctx.moveTo(px(t), m.top);
    ctx.lineTo(px(t), m.top + H);
    ctx.stroke();
    ctx.fillText(formatNumber(t), px(t), m.top + H + 20);
  }
  ctx.textAlign = 'right';
  for (const t of ticks(y0, y1)) {
    ctx.beginPath();
    ctx.moveTo(m.left, py(t));
    ctx.lineTo(m.left + W, py(t));
    ctx.stroke();
    ctx.fillText(formatNumber(t), m.left - 8, py(t) + 4);
  }
  ctx.strokeStyle = '#333333';
  ctx.strokeRect(m.left, m.top, W, H);

  // Median of the target (the AUC's split) and the signature's cut-off.
  ctx.setLineDash([6, 4]);
  ctx.strokeStyle = '#7f8c8d';
  ctx.beginPath();
  ctx.moveTo(m.left, py(v.overall.targetMedian));
  ctx.lineTo(m.left + W, py(v.overall.targetMedian));
  ctx.stroke();
  if (v.threshold !== null) {
    ctx.strokeStyle = '#d35400';
    ctx.beginPath();
    ctx.moveTo(px(v.threshold), m.top);
    ctx.lineTo(px(v.threshold), m.top + H);
    ctx.stroke();
  }
  ctx.setLineDash([]);

  // Points.
  for (const p of v.points) {
    ctx.fillStyle = SITE_COLOURS[p.site];
    ctx.globalAlpha = 0.8;
    ctx.beginPath();
    ctx.arc(px(p.score), py(p.target), 5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;

  // Labels, title and legend.
  ctx.fillStyle = '#111111';
  ctx.textAlign = 'center';
  ctx.font = canvasFont(14);
  ctx.fillText(`score (${labels.signature})`, m.left + W / 2, height - 22);
  ctx.save();
  ctx.translate(24, m.top + H / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(labels.target, 0, 0);
  ctx.restore();
  const o = v.overall;
  ctx.textAlign = 'left';
  ctx.font = canvasFont(16, true);
  ctx.fillText(`Score against ${labels.target}: ${o.n} lesions`, m.left, 30);
  ctx.font = canvasFont(14);
  // One line when it fits beside the legend, else Spearman and AUC on a line each.
  const spearmanText = `Spearman ρ ${formatEstimate(o.spearman)}`;
  const aucText = `AUC ${formatEstimate(o.auc)} for ${labels.target} ≥ median`;
  const oneLine = `${spearmanText};  ${aucText}`;
  if (ctx.measureText(oneLine).width <= width - m.left - 20) ctx.fillText(oneLine, m.left, 55);
  else {
    ctx.font = canvasFont(13);
    ctx.fillText(spearmanText, m.left, 50);
    ctx.fillText(aucText, m.left, 67);
  }
  let ly = m.top + 10;
  const lx = m.left + W + 20;
  ctx.font = canvasFont(13);
  for (const site of [...new Set(v.points.map((p) => p.site))].sort()) {
    ctx.fillStyle = SITE_COLOURS[site];
    ctx.beginPath();
    ctx.arc(lx + 6, ly - 4, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#111111';
    ctx.fillText(`${site} (${v.points.filter((p) => p.site === site).length})`, lx + 18, ly);
    ly += 22;
  }
  ly += 10;
  ctx.strokeStyle = '#7f8c8d';
  ctx.setLineDash([6, 4]);
  ctx.beginPath();
  ctx.moveTo(lx, ly - 4);
  ctx.lineTo(lx + 14, ly - 4);
  ctx.stroke();
  ctx.fillText('target median', lx + 18, ly);
  if (v.threshold !== null) {
    ly += 22;
    ctx.strokeStyle = '#d35400';
    ctx.beginPath();
    ctx.moveTo(lx + 7, ly - 12);
    ctx.lineTo(lx + 7, ly + 2);
    ctx.stroke();
    ctx.fillText('hot/cold cut-off', lx + 18, ly);
  }
  ctx.setLineDash([]);
  return canvas.toBuffer('image/png');
}
