"""What each synthetic facility offers: departments, clinic rooms, services and staff numbers.

Service codes follow the shape of the MoH equivalent-technique codes (TT 23/2024 style
`NN.NNNN.NNNN`) and the exam price code `02.1896`, but are illustrative, not the official
catalogue; prices are integer VND in the range of the BHYT price tables. Convention: a
facility's default outpatient exam is its `kind="exam"` service with the lowest code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class RoomSpec:
    code: str
    name: str
    kind: str
    department: str


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    kind: str
    price_bhyt: int
    price_service: int
    room: str


HOSPITAL_DEPARTMENTS = (
    DepartmentSpec("KKB", "Khoa Khám bệnh", "outpatient"),
    DepartmentSpec("NOI", "Khoa Nội", "inpatient"),
    DepartmentSpec("NGOAI", "Khoa Ngoại", "inpatient"),
    DepartmentSpec("NHI", "Khoa Nhi", "inpatient"),
    DepartmentSpec("SAN", "Khoa Sản", "inpatient"),
    DepartmentSpec("XN", "Khoa Xét nghiệm", "lab"),
    DepartmentSpec("CDHA", "Khoa Chẩn đoán hình ảnh", "imaging"),
    DepartmentSpec("CC", "Khoa Cấp cứu", "emergency"),
    DepartmentSpec("DUOC", "Khoa Dược", "pharmacy"),
)

STATION_DEPARTMENTS = (
    DepartmentSpec("KB", "Bộ phận Khám chữa bệnh", "outpatient"),
    DepartmentSpec("DP", "Bộ phận Y tế dự phòng", "other"),
    DepartmentSpec("DUOC", "Bộ phận Dược", "pharmacy"),
)

# Number of "Phòng khám Nội n" rooms by tier; the other exam rooms come once each.
INTERNAL_ROOMS = {"central": 6, "city": 4, "district": 3}


def hospital_rooms(tier: str) -> tuple[RoomSpec, ...]:
    """Exam rooms, then lab, imaging, ECG and the dispensary of a hospital."""
    rooms = [RoomSpec(f"NOI{n}", f"Phòng khám Nội {n}", "exam", "KKB")
             for n in range(1, INTERNAL_ROOMS[tier] + 1)]
    rooms += [
        RoomSpec("NGOAI1", "Phòng khám Ngoại 1", "exam", "KKB"),
        RoomSpec("NHI1", "Phòng khám Nhi 1", "exam", "KKB"),
        RoomSpec("SAN1", "Phòng khám Sản 1", "exam", "KKB"),
        RoomSpec("TMH1", "Phòng khám Tai Mũi Họng", "exam", "KKB"),
        RoomSpec("XN1", "Phòng lấy mẫu xét nghiệm", "lab", "XN"),
        RoomSpec("XQ1", "Phòng chụp X-quang", "imaging", "CDHA"),
        RoomSpec("SA1", "Phòng siêu âm", "imaging", "CDHA"),
        RoomSpec("DT1", "Phòng điện tim", "procedure", "KKB"),
        RoomSpec("THUOC1", "Quầy cấp phát thuốc", "pharmacy", "DUOC"),
        RoomSpec("TD1", "Quầy tiếp đón", "reception", "KKB"),
        RoomSpec("TN1", "Quầy thu ngân", "cashier", "KKB"),
    ]
    return tuple(rooms)


STATION_ROOMS = (
    RoomSpec("KB1", "Phòng khám bệnh", "exam", "KB"),
    RoomSpec("TC1", "Phòng tiêm chủng", "vaccination", "DP"),
    RoomSpec("XN1", "Góc xét nghiệm nhanh", "lab", "KB"),
    RoomSpec("THUOC1", "Quầy thuốc", "pharmacy", "DUOC"),
)

# Outpatient exam (BHYT price, on-demand price) by tier, VND.
EXAM_PRICES = {"central": (50_600, 250_000), "city": (50_600, 150_000),
               "district": (45_000, 100_000), "commune": (30_500, 40_000)}

HOSPITAL_TESTS = (
    ServiceSpec("22.0120.1370", "Tổng phân tích tế bào máu ngoại vi (bằng máy đếm laser)",
                "lab", 46_200, 70_000, "XN1"),
    ServiceSpec("23.0075.1494", "Định lượng Glucose [Máu]", "lab", 21_500, 35_000, "XN1"),
    ServiceSpec("23.0083.1523", "Định lượng HbA1c [Máu]", "lab", 101_000, 150_000, "XN1"),
    ServiceSpec("23.0051.1494", "Định lượng Creatinin [Máu]", "lab", 21_500, 35_000, "XN1"),
    ServiceSpec("23.0020.1493", "Đo hoạt độ ALT (GPT) [Máu]", "lab", 21_500, 35_000, "XN1"),
    ServiceSpec("23.0019.1493", "Đo hoạt độ AST (GOT) [Máu]", "lab", 21_500, 35_000, "XN1"),
    ServiceSpec("23.0041.1506", "Định lượng Cholesterol toàn phần [Máu]", "lab", 26_900,
                40_000, "XN1"),
    ServiceSpec("23.0206.1596", "Tổng phân tích nước tiểu (bằng máy tự động)", "lab", 27_400,
                45_000, "XN1"),
    ServiceSpec("18.0119.0028", "Chụp X-quang ngực thẳng", "imaging", 65_400, 120_000, "XQ1"),
    ServiceSpec("18.0001.0001", "Siêu âm ổ bụng (gan mật, tụy, lách, thận, bàng quang)",
                "imaging", 43_900, 150_000, "SA1"),
    ServiceSpec("02.0085.1778", "Điện tim thường", "procedure", 32_800, 60_000, "DT1"),
)

STATION_TESTS = (
    ServiceSpec("23.0076.1494", "Định lượng Glucose máu mao mạch (test nhanh)", "lab", 15_200,
                25_000, "XN1"),
    ServiceSpec("03.0001.0211", "Tiêm bắp thịt", "procedure", 11_400, 20_000, "TC1"),
    ServiceSpec("03.0002.0200", "Thay băng vết thương (chiều dài dưới 15 cm)", "procedure",
                57_600, 80_000, "KB1"),
)


def services_for(tier: str) -> tuple[ServiceSpec, ...]:
    """The exam (the default, lowest exam code) and the tests a facility of this tier offers."""
    bhyt, on_demand = EXAM_PRICES[tier]
    if tier == "commune":
        exam = ServiceSpec("02.1896", "Khám bệnh", "exam", bhyt, on_demand, "KB1")
        return (exam, *STATION_TESTS)
    exams = (
        ServiceSpec("02.1896", "Khám bệnh", "exam", bhyt, on_demand, "NOI1"),
        ServiceSpec("02.1897", "Khám Nhi", "exam", bhyt, on_demand, "NHI1"),
        ServiceSpec("02.1898", "Khám Sản phụ khoa", "exam", bhyt, on_demand, "SAN1"),
    )
    return (*exams, *HOSPITAL_TESTS)


# Staff per facility by tier, by practitioner title (a station has a doctor, a physician
# assistant (y sĩ), a nurse, a midwife and a pharmacist).
STAFFING = {
    "central": {"doctor": 14, "nurse": 10, "pharmacist": 3, "technician": 3},
    "city": {"doctor": 10, "nurse": 8, "pharmacist": 2, "technician": 2},
    "district": {"doctor": 7, "nurse": 6, "pharmacist": 2, "technician": 2},
    "commune": {"doctor": 1, "physician_assistant": 1, "nurse": 1, "midwife": 1,
                "pharmacist": 1},
}

SPECIALTIES = ("Nội khoa", "Ngoại khoa", "Nhi khoa", "Sản phụ khoa", "Hồi sức cấp cứu",
               "Chẩn đoán hình ảnh", "Xét nghiệm", "Tai Mũi Họng", "Y học gia đình")
