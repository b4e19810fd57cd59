// Types for tokens.mjs (benchmark code is plain JavaScript so it runs without a build).
export interface CountableTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}
export declare const BASELINE_TOKENS: number;
export declare const FULL_PROFILE_BUDGET: number;
export declare function modelVisible<T extends CountableTool>(tools: readonly T[]): { name: string; description: string; inputSchema: Record<string, unknown> }[];
export declare function countToolListTokens<T extends CountableTool>(tools: readonly T[]): number;
export declare function tokensPerProfile(): Promise<{ selection: string; tools: number; tokens: number; perTool: number }[]>;
