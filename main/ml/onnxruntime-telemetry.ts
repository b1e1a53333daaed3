// onnxruntime-node's native library ships Microsoft's 1DS telemetry: on the first session it
// writes an event cache under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ and later resolves
// and contacts mobile.events.data.microsoft.com (seen with strace on 1.30.0). The library reads
// ORT_DISABLE_TELEMETRY from the process environment when its runtime starts; the Node binding
// exposes no API to switch it off. Setting the variable here, in the process environment (not a
// worker's copy of it), covers this process, its worker threads and any child it starts.
process.env.ORT_DISABLE_TELEMETRY = '1';
