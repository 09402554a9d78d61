// Validates Kubernetes objects against Kubernetes' own schemas: the JSON Schemas that
// kubernetes-models generates from Kubernetes' OpenAPI document (and, for the Prometheus
// Operator's ServiceMonitor and PrometheusRule, from its CRDs). The packages are ES modules only,
// so this runs as its own Node process: a JSON array of objects on stdin, one result per object
// on stdout ({ apiVersion, kind, name, error }). An object with no schema is an error, never a pass.
import { readFileSync } from 'node:fs';

const PACKAGES = ['kubernetes-models', '@kubernetes-models/prometheus-operator'];

async function modelClass(apiVersion, kind) {
  for (const pkg of PACKAGES) {
    try {
      const mod = await import(`${pkg}/${apiVersion}`);
      if (typeof mod[kind] === 'function') return mod[kind];
    } catch (error) {
      if (error.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    }
  }
  return undefined;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const object of objects) {
  const { apiVersion, kind } = object;
  const name = object.metadata?.name;
  const Model = await modelClass(apiVersion, kind);
  if (!Model) {
    results.push({ apiVersion, kind, name, error: `no schema for ${apiVersion} ${kind}` });
    continue;
  }
  try {
    new Model(object).validate();
    results.push({ apiVersion, kind, name, error: null });
  } catch (error) {
    results.push({ apiVersion, kind, name, error: error.message });
  }
}
process.stdout.write(JSON.stringify(results));
