/** Chromium's flags for every headless run in this repository (scripts/chromium.mjs). */
export declare const CHROMIUM_ARGS: string[];
