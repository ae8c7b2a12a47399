/** The texts of the legend entries of a chart rendered to SVG by Vega, in order. */
export function legendLabels(svg: string): string[] {
  return [...svg.matchAll(/role-legend-label"[^>]*><text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}
