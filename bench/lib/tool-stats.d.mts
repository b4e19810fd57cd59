// Types for tool-stats.mjs (the benchmark code is plain JavaScript so it runs without a build).
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}
export declare function modelVisible(tools: readonly ListedTool[]): { name: string; description?: string; inputSchema: Record<string, unknown> }[];
export declare function countModelVisibleTokens(tools: readonly ListedTool[]): number;
export declare function countTokens(text: string): number;
export interface SchemaStats {
  tools: number;
  properties: number;
  described: number;
  limited: number;
  enumerated: number;
  toolsWithTitle: number;
  toolsWithAnnotations: number;
  toolsWithOutputSchema: number;
}
export declare function schemaStats(tools: readonly ListedTool[]): SchemaStats;
