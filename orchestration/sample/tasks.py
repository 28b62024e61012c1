"""Task texts of the sample: common tasks of the standing agency, tasks agencies registered."""

COMMON_TASKS = (
    "Tổ chức hội nghị sơ kết thực hiện Chương trình phối hợp công tác dân vận",
    "Xây dựng kế hoạch phối hợp tuyên truyền, vận động nhân dân chấp hành chủ trương, "
    "chính sách, pháp luật",
    'Hướng dẫn các cơ quan thành viên đăng ký xây dựng mô hình "Dân vận khéo"',
    "Kiểm tra, giám sát việc thực hiện Quy chế dân chủ ở cơ sở",
    "Tổng hợp, báo cáo kết quả thực hiện các chỉ tiêu phối hợp",
    "Tổ chức giao ban định kỳ giữa các cơ quan thành viên Ban Chỉ đạo",
    "Phối hợp vận động nhân dân tham gia xây dựng nông thôn mới",
    "Nắm tình hình tư tưởng, tâm trạng của nhân dân, kịp thời báo cáo Thường trực Tỉnh ủy",
    "Biểu dương, khen thưởng tập thể, cá nhân điển hình trong công tác dân vận",
    "Tập huấn nghiệp vụ công tác dân vận cho cán bộ cơ sở",
    "Phối hợp tổ chức các hoạt động đền ơn đáp nghĩa nhân ngày Thương binh - Liệt sĩ",
    "Theo dõi, đôn đốc giải quyết kiến nghị của cử tri sau các kỳ tiếp xúc",
)

REGISTERED_TASKS = {
    "BCHQS": (
        "Giúp đỡ các xã đăng ký đạt chuẩn nông thôn mới",
        "Tổ chức tuyển chọn, gọi công dân nhập ngũ đảm bảo chỉ tiêu",
        "Diễn tập khu vực phòng thủ cấp huyện",
        "Xây dựng nhà đồng đội cho quân nhân có hoàn cảnh khó khăn",
        "Tham gia tìm kiếm cứu nạn, phòng chống thiên tai",
    ),
    "BDBP": (
        "Tuyên truyền pháp luật về biên giới, biển đảo cho ngư dân",
        'Triển khai chương trình "Nâng bước em tới trường"',
        "Xây dựng nhà Đại đoàn kết cho hộ nghèo vùng ven biển",
        "Phối hợp giữ gìn an ninh trật tự khu vực cửa sông, ven biển",
        "Tặng quà gia đình chính sách dịp Tết Nguyên đán",
    ),
    "CA": (
        'Xây dựng phong trào "Toàn dân bảo vệ an ninh Tổ quốc"',
        "Tuyên truyền phòng chống tội phạm và tệ nạn xã hội",
        "Xây dựng mô hình tổ tự quản về an ninh trật tự",
        "Tặng quà gia đình có công với cách mạng",
        "Tập huấn nghiệp vụ cho lực lượng công an xã",
    ),
    "MTTQ": (
        'Vận động ủng hộ Quỹ "Vì người nghèo"',
        "Xây dựng nhà Đại đoàn kết cho hộ nghèo",
        'Triển khai cuộc vận động "Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh"',
        "Giám sát việc thực hiện chính sách an sinh xã hội",
        "Tổ chức Ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư",
    ),
    "LDLD": (
        "Xây dựng Mái ấm Công đoàn cho đoàn viên khó khăn về nhà ở",
        "Tổ chức Tháng Công nhân",
        "Tuyên truyền pháp luật lao động cho công nhân các khu công nghiệp",
        "Tặng quà đoàn viên, người lao động có hoàn cảnh khó khăn",
        "Đối thoại với người lao động tại doanh nghiệp",
    ),
    "HND": (
        "Chuyển giao tiến bộ khoa học kỹ thuật cho hội viên nông dân",
        "Hỗ trợ xây dựng mô hình kinh tế tập thể",
        'Phát động phong trào "Nông dân sản xuất, kinh doanh giỏi"',
        "Giải ngân vốn Quỹ hỗ trợ nông dân",
        "Vận động hội viên tham gia xây dựng nông thôn mới",
    ),
    "HLHPN": (
        'Triển khai cuộc vận động "Xây dựng gia đình 5 không, 3 sạch"',
        "Hỗ trợ phụ nữ khởi nghiệp, phát triển kinh tế",
        "Tập huấn kỹ thuật chăn nuôi, trồng trọt cho hội viên",
        "Tặng quà phụ nữ nghèo, trẻ em có hoàn cảnh đặc biệt",
        "Tuyên truyền phòng chống bạo lực gia đình",
    ),
    "TD": (
        "Tổ chức Chiến dịch thanh niên tình nguyện hè",
        "Động viên thanh niên lên đường nhập ngũ",
        "Hỗ trợ thanh niên lập nghiệp, khởi nghiệp",
        "Tổ chức Tháng Thanh niên",
        "Tặng quà thiếu nhi có hoàn cảnh khó khăn",
    ),
    "HCCB": (
        "Hỗ trợ hội viên cựu chiến binh phát triển kinh tế",
        "Tham gia giữ gìn an ninh trật tự ở khu dân cư",
        "Giáo dục truyền thống cho thế hệ trẻ",
        "Thăm hỏi, tặng quà hội viên có hoàn cảnh khó khăn",
        "Phối hợp tuyên truyền phòng chống ma túy trong thanh niên",
    ),
}

GENERAL_TASKS = (
    "Phổ biến, quán triệt các nghị quyết, chỉ thị của cấp trên",
    'Đăng ký và triển khai mô hình "Dân vận khéo"',
    "Tham gia các hoạt động đền ơn đáp nghĩa",
)

UNFINISHED_NOTES = ("Chuyển sang kỳ sau", "Đang hoàn thiện hồ sơ", "Chờ bố trí kinh phí")
