import scenario from '../../scenarios/upload-streaming.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('upload-streaming', scenario);
