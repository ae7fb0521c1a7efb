import scenario from '../../scenarios/images-variants.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('images-variants', scenario);
