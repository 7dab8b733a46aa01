"""The ontology's terms as pyoxigraph nodes, so Python code never spells an IRI by hand.

Every ``KGT`` term named here is declared in ``ontology/kgthread.ttl``; a test keeps the two
in step. Standard vocabularies (PROV-O, SOSA, QUDT, RDF, XSD) are used directly where they
already have the term, and aligned by subclass/subproperty in the ontology otherwise.
"""

from __future__ import annotations

from pyoxigraph import NamedNode

KGT_NS = "https://w3id.org/kgthread/ns#"
PROV_NS = "http://www.w3.org/ns/prov#"
SOSA_NS = "http://www.w3.org/ns/sosa/"
SSN_NS = "http://www.w3.org/ns/ssn/"
QUDT_NS = "http://qudt.org/schema/qudt/"
UNIT_NS = "http://qudt.org/vocab/unit/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
SH_NS = "http://www.w3.org/ns/shacl#"
DCTERMS_NS = "http://purl.org/dc/terms/"

PREFIXES: dict[str, str] = {
    "kgt": KGT_NS,
    "prov": PROV_NS,
    "sosa": SOSA_NS,
    "ssn": SSN_NS,
    "qudt": QUDT_NS,
    "unit": UNIT_NS,
    "rdf": RDF_NS,
    "rdfs": RDFS_NS,
    "xsd": XSD_NS,
    "owl": OWL_NS,
    "skos": SKOS_NS,
    "sh": SH_NS,
    "dcterms": DCTERMS_NS,
}


def kgt(local: str) -> NamedNode:
    return NamedNode(KGT_NS + local)


def _ns(base: str, local: str) -> NamedNode:
    return NamedNode(base + local)


RDF_TYPE = _ns(RDF_NS, "type")
RDFS_LABEL = _ns(RDFS_NS, "label")
RDFS_SUBCLASS_OF = _ns(RDFS_NS, "subClassOf")

XSD_STRING = _ns(XSD_NS, "string")
XSD_DECIMAL = _ns(XSD_NS, "decimal")
XSD_DOUBLE = _ns(XSD_NS, "double")
XSD_INTEGER = _ns(XSD_NS, "integer")
XSD_BOOLEAN = _ns(XSD_NS, "boolean")
XSD_DATE = _ns(XSD_NS, "date")
XSD_DATETIME = _ns(XSD_NS, "dateTime")

# --- PROV-O, used directly -------------------------------------------------------------
PROV_ACTIVITY = _ns(PROV_NS, "Activity")
PROV_ENTITY = _ns(PROV_NS, "Entity")
PROV_AGENT = _ns(PROV_NS, "Agent")
PROV_USED = _ns(PROV_NS, "used")
PROV_WAS_GENERATED_BY = _ns(PROV_NS, "wasGeneratedBy")
PROV_WAS_ASSOCIATED_WITH = _ns(PROV_NS, "wasAssociatedWith")
PROV_STARTED_AT = _ns(PROV_NS, "startedAtTime")
PROV_ENDED_AT = _ns(PROV_NS, "endedAtTime")
PROV_GENERATED_AT = _ns(PROV_NS, "generatedAtTime")
PROV_AT_TIME = _ns(PROV_NS, "atTime")

# --- SOSA, used directly ---------------------------------------------------------------
SOSA_OBSERVES = _ns(SOSA_NS, "observes")
SOSA_IS_HOSTED_BY = _ns(SOSA_NS, "isHostedBy")
SOSA_MADE_BY_SENSOR = _ns(SOSA_NS, "madeBySensor")
SOSA_OBSERVED_PROPERTY = _ns(SOSA_NS, "observedProperty")

# --- kgthread classes ------------------------------------------------------------------
# design (ISO 10303)
PART = kgt("Part")
PART_REVISION = kgt("PartRevision")
ASSEMBLY_USAGE = kgt("AssemblyUsage")
CHARACTERISTIC = kgt("Characteristic")
# equipment (ISA-95 hierarchy)
EQUIPMENT = kgt("Equipment")
SITE = kgt("Site")
AREA = kgt("Area")
WORK_CENTER = kgt("WorkCenter")
WORK_UNIT = kgt("WorkUnit")
# production (ISA-95)
WORK_ORDER = kgt("WorkOrder")
OPERATION = kgt("Operation")
MATERIAL_LOT = kgt("MaterialLot")
MATERIAL_SUBLOT = kgt("MaterialSublot")
SERIALIZED_UNIT = kgt("SerializedUnit")
TRACKED_ITEM = kgt("TrackedItem")
CONSUMPTION = kgt("Consumption")
MATERIAL_ACTUAL = kgt("MaterialActual")
SUPPLIER = kgt("Supplier")
CUSTOMER = kgt("Customer")
SHIPMENT = kgt("Shipment")
# quality
INSPECTION = kgt("Inspection")
MEASUREMENT = kgt("Measurement")
NONCONFORMANCE = kgt("Nonconformance")
# sensors (SOSA/SSN)
SENSOR = kgt("Sensor")
OBSERVABLE_PROPERTY = kgt("ObservableProperty")
OBSERVATION_SUMMARY = kgt("ObservationSummary")
# change
ENGINEERING_CHANGE = kgt("EngineeringChange")
# provenance
INGEST_BATCH = kgt("IngestBatch")
SOURCE_DOCUMENT = kgt("SourceDocument")
DOCUMENT = kgt("Document")
ADAPTER = kgt("Adapter")

# --- kgthread properties ---------------------------------------------------------------
PART_NUMBER = kgt("partNumber")
DESCRIPTION = kgt("description")
REVISION_OF = kgt("revisionOf")
REVISION_CODE = kgt("revisionCode")
SUPERSEDES = kgt("supersedes")
USAGE_PARENT = kgt("usageParent")
USAGE_CHILD = kgt("usageChild")
QUANTITY = kgt("quantity")
REFERENCE_DESIGNATOR = kgt("referenceDesignator")
UNIT_OF_MEASURE = kgt("unitOfMeasure")
CHARACTERISTIC_OF = kgt("characteristicOf")
CHARACTERISTIC_KIND = kgt("characteristicKind")
NOMINAL_VALUE = kgt("nominalValue")
LOWER_LIMIT = kgt("lowerLimit")
UPPER_LIMIT = kgt("upperLimit")
DATUM_REFERENCE = kgt("datumReference")

EQUIPMENT_ID = kgt("equipmentId")
PART_OF_EQUIPMENT = kgt("partOfEquipment")

WORK_ORDER_ID = kgt("workOrderId")
ORDERED_REVISION = kgt("orderedRevision")
ORDERED_QUANTITY = kgt("orderedQuantity")
ORDERED_PART = kgt("orderedPart")
RESPONSE_ID = kgt("responseId")
LOT_STATUS = kgt("lotStatus")
MATERIAL_USE = kgt("materialUse")
ACTUAL_MATERIAL = kgt("actualMaterial")
ACTUAL_ITEM = kgt("actualItem")
WORK_ORDER_STATUS = kgt("workOrderStatus")
OPERATION_ID = kgt("operationId")
OPERATION_OF = kgt("operationOf")
ON_EQUIPMENT = kgt("onEquipment")

LOT_ID = kgt("lotId")
LOT_OF_PART = kgt("lotOfPart")
SUPPLIED_BY = kgt("suppliedBy")
SUBLOT_OF = kgt("sublotOf")
SERIAL_NUMBER = kgt("serialNumber")
UNIT_OF_REVISION = kgt("unitOfRevision")
HAS_COMPONENT = kgt("hasComponent")
CONTAINS = kgt("contains")
CONSUMER = kgt("consumer")
CONSUMED_ENTITY = kgt("consumedEntity")
AT_OPERATION = kgt("atOperation")
SHIPPED_UNIT = kgt("shippedUnit")
SHIPPED_TO = kgt("shippedTo")
PARTY_NAME = kgt("partyName")

INSPECTION_ID = kgt("inspectionId")
INSPECTED_UNIT = kgt("inspectedUnit")
MEASUREMENT_OF = kgt("measurementOf")
MEASURES_CHARACTERISTIC = kgt("measuresCharacteristic")
MEASURED_VALUE = kgt("measuredValue")
PASSED = kgt("passed")
NONCONFORMANCE_ID = kgt("nonconformanceId")
NONCONFORMANCE_OF = kgt("nonconformanceOf")
RAISED_BY = kgt("raisedBy")
DISPOSITION = kgt("disposition")

SENSOR_ID = kgt("sensorId")
WINDOW_START = kgt("windowStart")
WINDOW_END = kgt("windowEnd")
DURING_OPERATION = kgt("duringOperation")
SAMPLE_COUNT = kgt("sampleCount")
BAD_COUNT = kgt("badCount")
MINIMUM = kgt("minimum")
MAXIMUM = kgt("maximum")
MEAN = kgt("mean")
STANDARD_DEVIATION = kgt("standardDeviation")
FIRST_TIMESTAMP = kgt("firstTimestamp")
LAST_TIMESTAMP = kgt("lastTimestamp")
RANGE_LOW = kgt("rangeLow")
RANGE_HIGH = kgt("rangeHigh")
OPCUA_NODE_ID = kgt("opcuaNodeId")
OPCUA_NAMESPACE = kgt("opcuaNamespace")
OPCUA_TYPE = kgt("opcuaType")
MANUFACTURER = kgt("manufacturer")
MANUFACTURER_URI = kgt("manufacturerUri")
MODEL = kgt("model")
PRODUCT_CODE = kgt("productCode")
EQUIPMENT_SERIAL_NUMBER = kgt("equipmentSerialNumber")
PRODUCT_INSTANCE_URI = kgt("productInstanceUri")
YEAR_OF_CONSTRUCTION = kgt("yearOfConstruction")
MONTH_OF_CONSTRUCTION = kgt("monthOfConstruction")
HARDWARE_REVISION = kgt("hardwareRevision")
SOFTWARE_REVISION = kgt("softwareRevision")
DEVICE_CLASS = kgt("deviceClass")
ASSET_ID = kgt("assetId")
INITIAL_OPERATION_DATE = kgt("initialOperationDate")

CHANGE_ID = kgt("changeId")
AFFECTS_REVISION = kgt("affectsRevision")
INTRODUCES_REVISION = kgt("introducesRevision")
AFFECTS_WORK_ORDER = kgt("affectsWorkOrder")
EFFECTIVE_FROM = kgt("effectiveFrom")
CHANGE_STATUS = kgt("changeStatus")

BATCH_ID = kgt("batchId")
TARGET_GRAPH = kgt("targetGraph")
SOURCE_FILE_NAME = kgt("fileName")
SHA256 = kgt("sha256")
ORIGINATING_SYSTEM = kgt("originatingSystem")
AUTHORING_ORGANIZATION = kgt("authoringOrganization")
AUTHOR = kgt("author")
APPLICATION_PROTOCOL = kgt("applicationProtocol")
ADAPTER_VERSION = kgt("adapterVersion")
TRIPLE_COUNT = kgt("tripleCount")
VERSION_OF = kgt("versionOf")
DOCUMENT_VERSION = kgt("documentVersion")
DOCUMENT_ID = kgt("documentId")
SOURCE_SYSTEM = kgt("sourceSystem")
SUPERSEDED_BY = kgt("supersededBy")
SUPERSEDED_AT = kgt("supersededAtTime")
IDEMPOTENCY_KEY = kgt("idempotencyKey")
CONTENT_DIGEST = kgt("contentDigest")
HELD_DIRECTLY = kgt("heldDirectly")
SOURCE_LOCATION = kgt("sourceLocation")


def unit(code: str) -> NamedNode:
    """A QUDT unit IRI, e.g. ``unit("MilliM")``."""
    return NamedNode(UNIT_NS + code)
