"""Which nodes of a merged information model are equipment and which are sensors.

Still OPC UA only. Instances are the nodes reachable from the Objects folder (``i=85``) by
hierarchical references; type members (nodes with a modelling rule under a type) are not.
Equipment are the instance objects placed in an organising node (a folder, an entry point
directly under Objects such as DI's DeviceSet or Machinery's Machines, a plain
BaseObjectType, or Machinery's Components container) that are machines or components:

- their type derives from DI's ComponentType (devices, robots' motion devices, ...; not
  DI's SoftwareType);
- they sit in Machinery's Machines folder, or in a machine's Components container
  (MachineComponentsType), which hold machines and components by definition;
- they carry Machinery's Identification (a MachineryItemIdentificationType add-in).

Other objects there (a recipe, a monitoring record, a custom container) are left out and
reported. The functional groups, state machines and add-ins inside a machine are not
equipment, but their variables belong to it. The identification (Machinery's
Identification add-in, or a DI device's own nameplate properties) is kept with the
equipment. Sensors are the numeric data variables (not properties) of an instance, hosted by
their nearest equipment ancestor, with EngineeringUnits and EURange read from their
properties; their meaning is the browse path from that equipment's type down to them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from kgthread.ingest.sensors.nodeset import (
    EUInformation,
    NodesetFile,
    Range,
    UaNode,
)

OBJECTS_FOLDER = "i=85"
FOLDER_TYPE = "i=61"
MACHINE_COMPONENTS_TYPE = "nsu=http://opcfoundation.org/UA/Machinery/;i=1006"
BASE_OBJECT_TYPE = "i=58"
DI_COMPONENT_TYPE = "nsu=http://opcfoundation.org/UA/DI/;i=15063"
DI_SOFTWARE_TYPE = "nsu=http://opcfoundation.org/UA/DI/;i=15106"
MACHINES_FOLDER = "nsu=http://opcfoundation.org/UA/Machinery/;i=1001"
MACHINERY_IDENTIFICATION_TYPE = "nsu=http://opcfoundation.org/UA/Machinery/;i=1004"
IDENTIFICATION = (
    "Manufacturer",
    "ManufacturerUri",
    "Model",
    "ProductCode",
    "SerialNumber",
    "ProductInstanceUri",
    "YearOfConstruction",
    "MonthOfConstruction",
    "HardwareRevision",
    "SoftwareRevision",
    "DeviceClass",
    "AssetId",
    "InitialOperationDate",
)
"""Nameplate properties (Machinery's IMachineryItemVendorNameplateType and
IMachineTagNameplateType, DI's IVendorNameplateType and ITagNameplateType) kept with the
equipment."""
# A plain BaseObjectType (DI's DeviceSet and DeviceFeatures) is a container; real equipment
# always has a specific type.
_CONTAINER_TYPES = {BASE_OBJECT_TYPE, MACHINE_COMPONENTS_TYPE}
_HIERARCHICAL = {
    "HierarchicalReferences",
    "HasChild",
    "Aggregates",
    "Organizes",
    "HasComponent",
    "HasOrderedComponent",
    "HasProperty",
    "HasAddIn",
}
_PLACES_EQUIPMENT = {"Organizes", "HasComponent", "HasOrderedComponent"}
# Core numeric data types (Part 3/5): SByte..Double, Number, Integer, UInteger, Decimal,
# Duration; subtypes declared in the loaded files are resolved through HasSubtype.
NUMERIC_TYPES = {f"i={n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 26, 27, 28, 50, 290)}
# Every other core data type the files may use directly: known, just not numeric.
CORE_TYPES = {
    f"i={n}" for n in (*range(1, 30), 50, 120, 256, 257, 290, 294, 295, 851, 852, 884, 887, 888)
}
CORE_TYPE_NAMES = {
    "i=58": "BaseObjectType",
    "i=61": "FolderType",
    "i=62": "BaseVariableType",
    "i=63": "BaseDataVariableType",
    "i=68": "PropertyType",
    "i=2365": "DataItemType",
    "i=2368": "AnalogItemType",
    "i=15318": "BaseAnalogType",
    "i=17497": "AnalogUnitRangeType",
    "i=17570": "AnalogUnitType",
}


@dataclass(frozen=True)
class Equipment:
    node: UaNode
    parent: str | None
    """NodeId of the enclosing equipment, if any."""
    path: tuple[str, ...]
    """Browse names from the outermost equipment down to this one."""
    type_name: str | None
    identification: dict[str, str | float] = field(default_factory=dict)
    """Nameplate values by browse name (``Manufacturer``, ``SerialNumber``, ...)."""
    why: str = ""
    """What makes it a machine or component (its type, its place, its identification)."""


@dataclass(frozen=True)
class Sensor:
    node: UaNode
    host: str
    """NodeId of the hosting equipment."""
    type_name: str | None
    units: EUInformation | None
    range: Range | None
    meaning: tuple[str, ...] = ()
    """What it measures: the host equipment's type, then the browse names from the host down
    to the variable (``("MillType", "Spindle", "Temperature")``)."""


@dataclass
class Findings:
    equipment: list[Equipment] = field(default_factory=list)
    sensors: list[Sensor] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What was skipped and why: unknown data types, sensors with no equipment."""
    counts: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    """What each instance object reached from the Objects folder was taken for:
    ``equipment``, ``not equipment`` (reported), ``organising`` (a folder, an entry point,
    a container), ``inside equipment`` (a functional group, an add-in, a state machine) or
    ``outside equipment`` (such a member of something that is not equipment)."""


class InformationModel:
    """The nodes of several NodeSet2 files, merged by expanded NodeId."""

    def __init__(self, files: Iterable[NodesetFile]) -> None:
        self.nodes: dict[str, UaNode] = {}
        for nodeset in files:
            for node in nodeset.nodes:
                self.nodes[node.node_id] = node
        self.children: dict[str, list[tuple[str, str]]] = {}
        self.subtypes: dict[str, set[str]] = {}
        hierarchical = self._hierarchical_kinds()
        seen: set[tuple[str, str, str]] = set()
        for node in self.nodes.values():
            for ref in node.references:
                source, target = (
                    (node.node_id, ref.target) if ref.forward else (ref.target, node.node_id)
                )
                if ref.kind == "HasSubtype":
                    self.subtypes.setdefault(source, set()).add(target)
                elif ref.kind in hierarchical and (source, ref.kind, target) not in seen:
                    seen.add((source, ref.kind, target))
                    self.children.setdefault(source, []).append((ref.kind, target))

    def _hierarchical_kinds(self) -> set[str]:
        """Core hierarchical references plus their subtypes declared in the files."""
        kinds = set(_HIERARCHICAL)
        parents = {
            node.node_id: {
                r.target for r in node.references if r.kind == "HasSubtype" and not r.forward
            }
            for node in self.nodes.values()
            if node.node_class == "UAReferenceType"
        }
        changed = True
        while changed:
            changed = False
            for ref_type, supers in parents.items():
                if ref_type not in kinds and supers & kinds:
                    kinds.add(ref_type)
                    changed = True
        return kinds

    def is_subtype(self, type_id: str | None, of: set[str]) -> bool | None:
        """Whether ``type_id`` is one of ``of`` or derives from one; None when unknown."""
        if type_id is None:
            return None
        seen: set[str] = set()
        current: str | None = type_id
        while current is not None and current not in seen:
            if current in of:
                return True
            seen.add(current)
            node = self.nodes.get(current)
            if node is None:
                return False if current in CORE_TYPES else None
            current = next(
                (r.target for r in node.references if r.kind == "HasSubtype" and not r.forward),
                None,
            )
        return False

    def name_of(self, node_id: str | None) -> str | None:
        node = self.nodes.get(node_id) if node_id else None
        return node.browse_name if node else CORE_TYPE_NAMES.get(node_id or "")

    def _organising(self, node: UaNode, placed_by: str | None) -> bool:
        type_id = node.type_definition
        if self.is_subtype(type_id, {FOLDER_TYPE}) or type_id in _CONTAINER_TYPES:
            return True
        return placed_by == OBJECTS_FOLDER

    def findings(self) -> Findings:
        """Walk the instance space breadth-first from the Objects folder."""
        found = Findings()
        # node id -> (nearest equipment ancestor, its path, whether the node organises,
        # browse names from that equipment down to the node)
        state: dict[str, tuple[str | None, tuple[str, ...], bool, tuple[str, ...]]] = {
            OBJECTS_FOLDER: (None, (), True, ())
        }
        queue: deque[str] = deque([OBJECTS_FOLDER])
        while queue:
            parent_id = queue.popleft()
            host, path, organising, below = state[parent_id]
            for kind, child_id in self.children.get(parent_id, ()):
                child = self.nodes.get(child_id)
                if child is None or child_id in state or child.is_declaration:
                    continue
                here = (*below, child.browse_name)
                if child.node_class == "UAObject":
                    placed = organising and kind in _PLACES_EQUIPMENT
                    if placed and not self._organising(child, parent_id):
                        why = self._machine_or_component(child, parent_id)
                        if why:
                            child_path = (*path, child.browse_name)
                            found.equipment.append(
                                Equipment(
                                    child,
                                    host,
                                    child_path,
                                    self.name_of(child.type_definition),
                                    self.identification(child),
                                    why,
                                )
                            )
                            state[child_id] = (child_id, child_path, False, ())
                            found.roles[child_id] = "equipment"
                        else:
                            self._left_out(child, found)
                            state[child_id] = (host, path, True, here)
                            found.roles[child_id] = "not equipment"
                    else:
                        organises = self._organising(child, parent_id)
                        state[child_id] = (host, path, organises, here)
                        role = "inside equipment" if host else "outside equipment"
                        found.roles[child_id] = "organising" if organises else role
                    queue.append(child_id)
                elif child.node_class == "UAVariable":
                    state[child_id] = (host, path, False, here)
                    queue.append(child_id)
                    if kind != "HasProperty":
                        self._consider_variable(child, host, found, here)
        return found

    def _machine_or_component(self, node: UaNode, placed_by: str) -> str:
        """Why ``node`` is a machine or a component, or ``""`` when it is neither."""
        type_id = node.type_definition
        if self.is_subtype(type_id, {DI_COMPONENT_TYPE}) and not self.is_subtype(
            type_id, {DI_SOFTWARE_TYPE}
        ):
            return f"its type {self.name_of(type_id)} is a DI ComponentType"
        if placed_by == MACHINES_FOLDER:
            return "it is in Machinery's Machines folder"
        container = self.nodes.get(placed_by)
        if container is not None and container.type_definition == MACHINE_COMPONENTS_TYPE:
            return "it is in a machine's Components"
        if self._identification_node(node) is not None:
            return "it carries Machinery's Identification"
        return ""

    def _left_out(self, node: UaNode, found: Findings) -> None:
        type_name = self.name_of(node.type_definition) or "no type definition"
        found.problems.append(
            f"{node.location}: {node.browse_name} ({type_name}) is not a machine or component "
            "(a DI ComponentType, in Machinery's Machines or Components, or with Machinery's "
            "Identification): not equipment"
        )
        found.counts["not equipment"] = found.counts.get("not equipment", 0) + 1

    def _identification_node(self, node: UaNode) -> UaNode | None:
        for _, child_id in self.children.get(node.node_id, ()):
            child = self.nodes.get(child_id)
            if (
                child is not None
                and child.node_class == "UAObject"
                and self.is_subtype(child.type_definition, {MACHINERY_IDENTIFICATION_TYPE})
            ):
                return child
        return None

    def identification(self, node: UaNode) -> dict[str, str | float]:
        """The nameplate of a machine or component: Machinery's Identification add-in, else
        (DI devices) its own nameplate properties. Blank values are left out."""
        source = self._identification_node(node) or node
        values: dict[str, str | float] = {}
        for kind, prop_id in self.children.get(source.node_id, ()):
            prop = self.nodes.get(prop_id)
            if kind != "HasProperty" or prop is None or prop.browse_name not in IDENTIFICATION:
                continue
            value = prop.value
            if isinstance(value, str) and value.strip():
                values[prop.browse_name] = value.strip()
            elif isinstance(value, float):
                values[prop.browse_name] = value
        return values

    def _consider_variable(
        self, node: UaNode, host: str | None, found: Findings, below: tuple[str, ...]
    ) -> None:
        numeric = self.is_subtype(node.data_type or "i=24", NUMERIC_TYPES)
        if numeric is None:
            found.problems.append(f"{node.location}: unknown data type {node.data_type}; skipped")
            found.counts["unknown data type"] = found.counts.get("unknown data type", 0) + 1
            return
        if not numeric:
            return
        if host is None:
            found.problems.append(
                f"{node.location}: numeric variable outside any equipment; skipped"
            )
            found.counts["no equipment"] = found.counts.get("no equipment", 0) + 1
            return
        units: EUInformation | None = None
        limits: Range | None = None
        for kind, prop_id in self.children.get(node.node_id, ()):
            prop = self.nodes.get(prop_id)
            if kind != "HasProperty" or prop is None:
                continue
            if prop.browse_name == "EngineeringUnits" and isinstance(prop.value, EUInformation):
                units = prop.value
            elif prop.browse_name == "EURange" and isinstance(prop.value, Range):
                limits = prop.value
        host_node = self.nodes.get(host)
        host_type = self.name_of(host_node.type_definition) if host_node else None
        meaning = (host_type or "BaseObjectType", *below)
        found.sensors.append(
            Sensor(node, host, self.name_of(node.type_definition), units, limits, meaning)
        )
