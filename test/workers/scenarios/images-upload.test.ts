import scenario from '../../scenarios/images-upload.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('images-upload', scenario);
