/**
 * Doctor step: a dry run of the deletion policies, listing what they would delete now. This build
 * has no deletion planner yet (deletion is being built in src/deletion/), so the step says so
 * instead of pretending; it is skipped, never passed. Wire the planner's dry run here when it lands.
 */
import { skip, type DoctorStep } from './step.js';

export const deletionDryRunStep: DoctorStep = {
  id: 'deletion-dry-run',
  title: 'deletion dry run',
   
  async run() {
    return skip('not available in this build: there is no deletion planner to dry-run yet');
  },
};
