import scenario from '../../scenarios/legacy-upload.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('legacy-upload', scenario);
