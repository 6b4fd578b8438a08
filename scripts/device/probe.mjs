// The adapter Dawn finds here, for the device kit (scripts/device/run.sh): its name and vendor, the API and feature
// level Dawn runs it on, whether it is a software adapter, its features (shader-f16, subgroups, timestamp-query…)
// and its limits. Tries the same APIs as @peft/webgpu's backend selection (PEFT_WEBGPU_API sets them).
// Prints one JSON line: { name, vendor, software, api, feature_level, details, features, limits }.
import { findNodeAdapter } from '@peft/webgpu';

const found = await findNodeAdapter();
const { adapter } = found;
const features = [...adapter.features].sort();
const limits = {};
for (const k in adapter.limits) if (typeof adapter.limits[k] === 'number') limits[k] = adapter.limits[k];
const info = adapter.info ?? {};
console.log(JSON.stringify({
  name: found.report.name,
  vendor: found.report.vendor,
  software: found.report.software,
  api: found.api,
  feature_level: found.featureLevel,
  details: found.report.details,
  architecture: info.architecture ?? '',
  shader_f16: features.includes('shader-f16'),
  subgroups: features.includes('subgroups'),
  features,
  limits,
}));
process.exit(0);
