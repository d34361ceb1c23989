/** The browser engines the tests run in, and where each is found (scripts/engines.mjs). */
export type EngineName = 'chromium' | 'firefox' | 'webkit';
export declare const ENGINES: readonly EngineName[];
export declare const DEBIAN_PACKAGES: Record<EngineName, string[]>;
export declare function findEngine(name: EngineName): string | undefined;
export declare function provideEngines(): {
  found: Partial<Record<EngineName, string>>;
  missing: { name: EngineName; how: string }[];
};
