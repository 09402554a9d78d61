/** An RGBA pixel buffer with the few drawing operations charts need: rectangles, lines, text. */
import { glyph, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH } from './bitmap-font';

export type Rgb = readonly [number, number, number];

export class Raster {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.pixels = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  set(x: number, y: number, [r, g, b]: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.pixels[i] = r;
    this.pixels[i + 1] = g;
    this.pixels[i + 2] = b;
    this.pixels[i + 3] = 255;
  }

  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 4;
    return [this.pixels[i], this.pixels[i + 1], this.pixels[i + 2]];
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let j = Math.max(0, Math.round(y)); j < Math.min(this.height, Math.round(y + h)); j++) {
      for (let i = Math.max(0, Math.round(x)); i < Math.min(this.width, Math.round(x + w)); i++) this.set(i, j, color);
    }
  }

  /** A straight line `thickness` pixels wide (Bresenham, each step a small square). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    x0 = Math.round(x0);
    y0 = Math.round(y0);
    x1 = Math.round(x1);
    y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    const half = Math.floor((thickness - 1) / 2);
    for (;;) {
      if (thickness <= 1) this.set(x0, y0, color);
      else this.fillRect(x0 - half, y0 - half, thickness, thickness, color);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  /** Dashes of `on` pixels every `on + off` along a horizontal or vertical line. */
  dashed(x0: number, y0: number, x1: number, y1: number, color: Rgb, on = 3, off = 3): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    for (let d = 0; d < length; d += on + off) {
      const a = d / length;
      const b = Math.min(1, (d + on) / length);
      this.line(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b, color);
    }
  }

  /** Text with its top-left corner at (x, y); each font cell is `scale` × `scale` pixels. */
  text(x: number, y: number, text: string, color: Rgb, scale = 1): void {
    let cx = Math.round(x);
    for (const ch of text) {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        for (let c = 0; c < GLYPH_WIDTH; c++) if (rows[r][c]) this.fillRect(cx + c * scale, y + r * scale, scale, scale, color);
      }
      cx += GLYPH_ADVANCE * scale;
    }
  }
}
