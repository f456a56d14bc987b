// The metadata definitions loaded at the first start: hints for compute about how to boot
// an image (hypervisor, libvirt devices, watchdog, CPU topology, shutdown) and CIM-style
// processor and storage descriptions. Written for Stowage; the names follow the keys the
// compute layer reads from image properties.
import type { NamespaceInput } from './catalog.js';

const IMAGE = { name: 'OS::Glance::Image' };
const FLAVOR = { name: 'OS::Nova::Flavor', prefix: 'hw:' };
const IMAGE_HW = { name: 'OS::Glance::Image', prefix: 'hw_' };

export const RESOURCE_TYPES = ['OS::Glance::Image', 'OS::Nova::Flavor', 'OS::Nova::Server', 'OS::Nova::Aggregate', 'OS::Cinder::Volume'];

export const DEFAULT_NAMESPACES: NamespaceInput[] = [
  {
    namespace: 'OS::Compute::Hypervisor',
    display_name: 'Hypervisor Selection',
    description: 'Which hypervisor and virtual machine mode an image needs; the scheduler only places it on hosts that match.',
    visibility: 'public',
    protected: true,
    resource_type_associations: [IMAGE],
    properties: {
      hypervisor_type: {
        title: 'Hypervisor Type',
        description: 'The hypervisor the image was prepared for.',
        type: 'string',
        enum: ['qemu', 'kvm', 'xen', 'lxc', 'vmware', 'hyperv', 'fake'],
      },
      vm_mode: {
        title: 'VM Mode',
        description: 'The application binary interface the guest expects: hvm (full virtualisation), xen (paravirtual), exe (containers), uml.',
        type: 'string',
        enum: ['hvm', 'xen', 'uml', 'exe'],
      },
    },
  },
  {
    namespace: 'OS::Compute::Libvirt',
    display_name: 'Libvirt Driver Options',
    description: 'Virtual hardware the libvirt/qemu driver gives a guest booted from the image.',
    visibility: 'public',
    protected: true,
    resource_type_associations: [IMAGE],
    properties: {
      hw_machine_type: { title: 'Machine Type', description: 'The emulated machine, e.g. q35 or pc.', type: 'string' },
      hw_disk_bus: { title: 'Disk Bus', description: 'Bus the root disk is attached to.', type: 'string', enum: ['virtio', 'scsi', 'ide', 'sata', 'usb'] },
      hw_cdrom_bus: { title: 'CD-ROM Bus', description: 'Bus an ISO image is attached to.', type: 'string', enum: ['ide', 'scsi', 'sata', 'usb'] },
      hw_vif_model: { title: 'Network Card Model', description: 'Model of the virtual network interface.', type: 'string', enum: ['virtio', 'e1000', 'e1000e', 'rtl8139', 'ne2k_pci'] },
      hw_video_model: { title: 'Video Model', description: 'Emulated graphics adapter.', type: 'string', enum: ['virtio', 'vga', 'cirrus', 'qxl', 'none'] },
      hw_scsi_model: { title: 'SCSI Model', description: 'SCSI controller used when hw_disk_bus is scsi.', type: 'string', enum: ['virtio-scsi', 'lsilogic'] },
      hw_rng_model: { title: 'Random Number Generator', description: 'Paravirtual entropy device given to the guest.', type: 'string', enum: ['virtio'] },
      hw_qemu_guest_agent: { title: 'QEMU Guest Agent', description: 'Whether the image runs the qemu guest agent (enables quiesce and password injection).', type: 'string', enum: ['yes', 'no'] },
      hw_firmware_type: { title: 'Firmware', description: 'Boot firmware.', type: 'string', enum: ['bios', 'uefi'] },
      os_command_line: { title: 'Kernel Command Line', description: 'Arguments passed to a kernel booted directly (aki/ari images).', type: 'string' },
    },
  },
  {
    namespace: 'OS::Compute::Watchdog',
    display_name: 'Watchdog Behavior',
    description: 'A virtual hardware watchdog: what the host does when the guest stops petting it.',
    visibility: 'public',
    protected: true,
    resource_type_associations: [IMAGE_HW, FLAVOR],
    properties: {
      watchdog_action: {
        title: 'Watchdog Action',
        description: 'disabled: no device; reset: hard reboot; poweroff: stop the guest; pause: freeze it; none: only log.',
        type: 'string',
        enum: ['disabled', 'reset', 'poweroff', 'pause', 'none'],
      },
    },
  },
  {
    namespace: 'OS::Compute::CPUTopology',
    display_name: 'Virtual CPU Topology',
    description: 'Preferred and maximum sockets, cores and threads for the guest CPUs, for guests licensed or tuned per socket.',
    visibility: 'public',
    protected: true,
    resource_type_associations: [IMAGE_HW, FLAVOR],
    properties: {
      cpu_sockets: { title: 'vCPU Sockets', description: 'Preferred number of sockets.', type: 'integer', minimum: 1 },
      cpu_cores: { title: 'vCPU Cores', description: 'Preferred cores per socket.', type: 'integer', minimum: 1 },
      cpu_threads: { title: 'vCPU Threads', description: 'Preferred threads per core.', type: 'integer', minimum: 1 },
      cpu_max_sockets: { title: 'Max vCPU Sockets', description: 'Largest number of sockets.', type: 'integer', minimum: 1 },
    },
  },
  {
    namespace: 'OS::Compute::GuestShutdownBehavior',
    display_name: 'Shutdown Behavior',
    description: 'How long compute waits for a clean guest shutdown before powering it off.',
    visibility: 'public',
    protected: true,
    resource_type_associations: [IMAGE],
    properties: {
      os_shutdown_timeout: { title: 'Shutdown timeout', description: 'Seconds to wait for the guest to shut down.', type: 'integer', minimum: 0 },
    },
  },
  {
    namespace: 'CIM::ProcessorAllocationSettingData',
    display_name: 'CIM Processor Allocation Setting',
    description: 'Processor features the guest needs, in the terms of the DMTF CIM_ProcessorAllocationSettingData class.',
    visibility: 'public',
    protected: true,
    resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'CIM_PASD_' }, { name: 'OS::Nova::Flavor', prefix: 'CIM_PASD_' }],
    properties: {
      InstructionSet: { title: 'Instruction Set', description: 'Instruction set architecture, e.g. x86:x86-64.', type: 'string', enum: ['x86:i386', 'x86:i686', 'x86:x86-64', 'ARM:ARM', 'ARM:AArch64', 'POWER:Power-7', 'POWER:Power-8'] },
      InstructionSetExtensionName: {
        title: 'Instruction Set Extensions',
        description: 'Extensions the guest relies on.',
        type: 'array',
        items: { type: 'string', enum: ['x86:AVX', 'x86:AVX2', 'x86:AES', 'x86:SSE4.2', 'x86:VMX', 'x86:SVM', 'ARM:NEON'] },
      },
      ProcessorArchitecture: { title: 'Processor Architecture', description: 'The CPU architecture.', type: 'string', enum: ['x86', 'ARM', 'POWER', 'RISC-V'] },
    },
    objects: [
      {
        name: 'CPU Requirements',
        description: 'Architecture and instruction set together.',
        required: ['ProcessorArchitecture'],
        properties: {
          ProcessorArchitecture: { title: 'Processor Architecture', type: 'string', enum: ['x86', 'ARM', 'POWER', 'RISC-V'] },
          InstructionSet: { title: 'Instruction Set', type: 'string' },
        },
      },
    ],
  },
  {
    namespace: 'CIM::StorageAllocationSettingData',
    display_name: 'CIM Storage Allocation Setting',
    description: 'Disk access characteristics, in the terms of the DMTF CIM_StorageAllocationSettingData class.',
    visibility: 'public',
    protected: true,
    resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'CIM_SASD_' }, { name: 'OS::Cinder::Volume', prefix: 'CIM_SASD_' }],
    properties: {
      Access: { title: 'Access', description: 'How the disk may be accessed.', type: 'string', enum: ['Unknown', 'Readable', 'Writeable', 'Read/Write Supported'] },
      HostExtentName: { title: 'Host Extent Name', description: 'Name of the extent on the host holding the disk.', type: 'string' },
    },
  },
  {
    namespace: 'OS::Software::Runtimes',
    display_name: 'Runtime Environment',
    description: 'Language runtimes installed in the image, with their versions.',
    visibility: 'public',
    protected: false,
    resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'sw_runtime_' }],
    properties: {
      node_version: { title: 'Node.js', description: 'Installed Node.js version.', type: 'string' },
      python_version: { title: 'Python', description: 'Installed Python version.', type: 'string' },
      java_version: { title: 'Java', description: 'Installed Java runtime version.', type: 'string' },
    },
    tags: [{ name: 'nodejs' }, { name: 'python' }, { name: 'java' }],
  },
];
