// Lets the conformance suite cover the relaxed-SIMD kernels on Node 20, as the CLI does.
import { enableRelaxedSimd } from '../src/cli/engine.js';

enableRelaxedSimd();
