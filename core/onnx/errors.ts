import { GitmlError } from '../errors.js';

/** A model cannot be exported to ONNX: damaged files, or something the export does not know (a layer, an op, a column type). */
export class OnnxExportError extends GitmlError {
  constructor(reason: string) {
    super('E_ONNX_EXPORT', `cannot export the model to ONNX: ${reason}`, { data: { reason }, exitCode: 1 });
  }
}
