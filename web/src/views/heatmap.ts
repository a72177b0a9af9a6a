/**
 * A labelled heat map on a canvas, and the two colour scales the views use:
 * a logarithmic one for gradient norms (they span many orders of magnitude)
 * and a diverging one for hidden activations. Drawing only: the numbers come
 * from library functions.
 */
export interface Heatmap {
  rows: number;
  cols: number;
  /** The value of a cell, or null for an empty one (drawn blank). */
  value(row: number, col: number): number | null;
  color(value: number): string;
  rowLabels: string[];
  colLabels: string[];
  cellWidth: number;
  cellHeight: number;
  /** Room for the row labels (px). */
  labelWidth: number;
  /** A highlighted cell. */
  selected?: { row: number; col: number } | null;
}

const LABEL_HEIGHT = 18;

/** Draws the map; returns a function from a mouse position (CSS px) to the cell under it. */
export function drawHeatmap(canvas: HTMLCanvasElement, map: Heatmap): (x: number, y: number) => { row: number; col: number } | null {
  const width = map.labelWidth + map.cols * map.cellWidth;
  const height = LABEL_HEIGHT + map.rows * map.cellHeight;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.ceil(width * ratio);
  canvas.height = Math.ceil(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d')!;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = '12px ui-monospace, monospace';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillStyle = '#222';
  map.colLabels.forEach((label, col) => g.fillText(label, map.labelWidth + (col + 0.5) * map.cellWidth, LABEL_HEIGHT / 2));
  g.textAlign = 'right';
  if (map.cellHeight >= 10) map.rowLabels.forEach((label, row) => g.fillText(label, map.labelWidth - 4, LABEL_HEIGHT + (row + 0.5) * map.cellHeight));
  for (let row = 0; row < map.rows; row++) {
    for (let col = 0; col < map.cols; col++) {
      const value = map.value(row, col);
      if (value === null) continue;
      g.fillStyle = map.color(value);
      g.fillRect(
        map.labelWidth + col * map.cellWidth,
        LABEL_HEIGHT + row * map.cellHeight,
        map.cellWidth - (map.cellWidth > 6 ? 1 : 0),
        map.cellHeight - (map.cellHeight > 6 ? 1 : 0),
      );
    }
  }
  if (map.selected) {
    g.strokeStyle = '#000';
    g.lineWidth = 2;
    g.strokeRect(map.labelWidth + map.selected.col * map.cellWidth, LABEL_HEIGHT + map.selected.row * map.cellHeight, map.cellWidth - 1, map.cellHeight - 1);
  }
  return (x, y) => {
    const col = Math.floor((x - map.labelWidth) / map.cellWidth);
    const row = Math.floor((y - LABEL_HEIGHT) / map.cellHeight);
    return row >= 0 && row < map.rows && col >= 0 && col < map.cols ? { row, col } : null;
  };
}

// Viridis at five stops (dark blue → green → yellow).
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function interpolate(stops: number[][], f: number): string {
  const x = Math.min(1, Math.max(0, f)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const t = x - i;
  const [r, g, b] = stops[i].map((c, j) => Math.round(c + (stops[i + 1][j] - c) * t));
  return `rgb(${r},${g},${b})`;
}

/** log10(value) over [logMin, logMax] on viridis; zero (or below the range) is the darkest colour. */
export function logColor(logMin: number, logMax: number): (value: number) => string {
  return (value) => interpolate(VIRIDIS, value > 0 ? (Math.log10(value) - logMin) / (logMax - logMin) : 0);
}

/** Blue (−limit) → white (0) → red (+limit). */
export function divergingColor(limit: number): (value: number) => string {
  return (value) =>
    interpolate(
      [
        [33, 102, 172],
        [247, 247, 247],
        [178, 24, 43],
      ],
      0.5 + value / (2 * (limit || 1)),
    );
}

/** A probability 0..1 as a background: white → green. */
export function probabilityColor(p: number): string {
  return interpolate(
    [
      [255, 255, 255],
      [166, 219, 160],
      [27, 120, 55],
    ],
    p,
  );
}

/** A number for people: 3 significant digits, exponent when small or large. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  const magnitude = Math.abs(x);
  return magnitude < 1e-3 || magnitude >= 1e5 ? x.toExponential(2) : x.toPrecision(3);
}

/** How a character shows in a label: '\n' as ⏎, a space as ␣. */
export function showCharacter(char: string): string {
  return char === '\n' ? '⏎' : char === ' ' ? '␣' : char;
}
