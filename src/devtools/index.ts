/**
 * "eventloom/devtools": the inspector, a framework-free panel over any Store (docs/devtools.md).
 * Explicit exports only; nothing runs at import, and an app that does not import it carries
 * none of it.
 */
export { mountInspector, type InspectorOptions } from './inspector.ts';
export { exportLog, LOG_EXPORT_FORMAT, LOG_EXPORT_VERSION, type LogExport } from './exportLog.ts';
export { openLogExport, type OpenLogExportOptions } from './openLogExport.ts';
