/**
 * A time series as a PNG: Vega-Lite compiles a small spec, Vega renders it to SVG (no canvas, no
 * browser), resvg rasterises it. All three are optional dependencies loaded on the first chart,
 * so a server that never draws one never loads them, and one without them still answers with
 * the rows and says why there is no chart. Nothing is fetched at run time.
 */
import type { SeriesPoint, Granularity } from "./analytics-sql.js";

export type ChartResult = { ok: true; png: Buffer } | { ok: false; reason: string };

const TIME_UNIT: Record<Granularity, string> = {
  minute: "utcyearmonthdatehoursminutes",
  hour: "utcyearmonthdatehours",
  day: "utcyearmonthdate",
  month: "utcyearmonth",
};

export async function renderSeriesPng(points: readonly SeriesPoint[], granularity: Granularity, title: string): Promise<ChartResult> {
  let vl: typeof import("vega-lite");
  let vega: typeof import("vega");
  let resvg: typeof import("@resvg/resvg-js");
  try {
    [vl, vega, resvg] = await Promise.all([import("vega-lite"), import("vega"), import("@resvg/resvg-js")]);
  } catch (err) {
    return { ok: false, reason: `charting libraries not installed (${(err as Error).message.split("\n")[0]})` };
  }
  const values = points.flatMap((p) => [
    { time: p.time, outcome: "VALID", count: p.valid },
    { time: p.time, outcome: "RATE_LIMITED", count: p.rateLimited },
    { time: p.time, outcome: "other", count: p.other },
  ]);
  const spec = vl.compile({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 720,
    height: 260,
    background: "white",
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: { field: "time", type: "temporal", timeUnit: TIME_UNIT[granularity] as "utcyearmonthdate", title: null },
      y: { field: "count", type: "quantitative", aggregate: "sum", title: "verifications" },
      color: {
        field: "outcome",
        type: "nominal",
        scale: { domain: ["VALID", "RATE_LIMITED", "other"], range: ["#2f9e44", "#f08c00", "#c92a2a"] },
      },
    },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const png = new resvg.Resvg(svg, { fitTo: { mode: "zoom", value: 1.25 }, background: "white" }).render().asPng();
    return { ok: true, png: Buffer.from(png) };
  } finally {
    view.finalize();
  }
}
