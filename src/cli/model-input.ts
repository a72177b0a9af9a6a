/** Loading a model file given on the command line. */
import { decodeModelFile, type SavedModel } from '../io/model-file.js';
import { readBytes } from './files.js';

export function loadModel(path: string): SavedModel {
  return decodeModelFile(readBytes(path, 'model file'), path);
}
