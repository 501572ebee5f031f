import os from 'node:os';
import { KubeObject } from '../types';
import { nowTimestamp, SANDBOX_HOST_IP, SANDBOX_NODE } from './podStrategy';

/** The one Node every sandbox pod runs on: this machine, as `kubectl get nodes` would show it. */
export function sandboxNode(): KubeObject {
  const now = nowTimestamp();
  const capacity = {
    cpu: String(os.cpus().length || 1),
    memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
    pods: '110',
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: SANDBOX_NODE,
      labels: {
        'kubernetes.io/hostname': SANDBOX_NODE,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': os.arch() === 'x64' ? 'amd64' : os.arch(),
        'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kube-sandbox is running',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: SANDBOX_HOST_IP },
        { type: 'Hostname', address: SANDBOX_NODE },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0-sandbox',
        containerRuntimeVersion: 'sandbox://1.0.0',
        operatingSystem: 'linux',
        architecture: os.arch() === 'x64' ? 'amd64' : os.arch(),
        osImage: 'kube-sandbox (processes on the host, no isolation)',
        kernelVersion: os.release(),
      },
    },
  };
}
