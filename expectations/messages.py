"""Plain Vietnamese messages for agency clerks, one template per rule."""

from reference.text import vn_number


def value_message(
    rule: str,
    cell: str,
    raw: object,
    value: float | None,
    code: str,
    total_state: str | None = None,
    parts_sum: float | None = None,
    text_parts: str | None = None,
    units: str = "huyện, thành phố",
) -> str:
    """The message for a problem found in one value cell; ``units``: what the file's units
    below the province are (``xã, phường`` in a report by commune)."""
    shown = "" if raw is None else str(raw)
    match rule:
        case "unknown_indicator":
            return (
                f'Mã chỉ tiêu "{code}" không có trong danh mục chỉ tiêu. '
                "Hãy dùng đúng mã chỉ tiêu trong biểu mẫu."
            )
        case "duplicate_indicator":
            return (
                f"Mã chỉ tiêu {code} xuất hiện ở nhiều dòng. "
                "Mỗi chỉ tiêu chỉ được ghi trên một dòng."
            )
        case "not_a_number":
            return (
                f'Ô {cell}: "{shown}" không phải là số. Hãy ghi một số (ví dụ 50); '
                'để trống nếu không có số liệu, ghi "-" nếu bằng 0.'
            )
        case "ambiguous_number":
            return (
                f'Ô {cell}: "{shown}" không rõ là số thập phân hay số hàng nghìn. '
                "Hàng nghìn ghi 1.500, số thập phân dùng dấu phẩy: 1,5."
            )
        case "formula_without_value":
            return (
                f"Ô {cell}: công thức chưa có giá trị tính sẵn. Hãy mở tệp bằng Excel, "
                "lưu lại, hoặc ghi số trực tiếp."
            )
        case "negative_value":
            return f"Ô {cell}: giá trị {vn_number(value, 2)} là số âm. Số liệu phải từ 0 trở lên."
        case "not_whole_number":
            return (
                f"Ô {cell}: chỉ tiêu {code} là số đếm nên phải là số nguyên, "
                f"không thể là {vn_number(value, 2)}."
            )
        case "total_mismatch":
            if total_state == "missing_total":
                return (
                    f"Ô {cell}: chưa ghi Tổng cộng trong khi đã có số liệu chi tiết. "
                    f"Hãy ghi tổng của các {units} và cấp tỉnh."
                )
            if total_state == "no_parts":
                return (
                    f"Ô {cell}: có Tổng cộng {vn_number(value, 2)} nhưng chưa có số liệu chia theo "
                    f"{units} hoặc cấp tỉnh. Hãy ghi số liệu chi tiết."
                )
            if isinstance(text_parts, str):  # NaN when the frame has none
                return (
                    f"Ô {cell}: Tổng cộng {vn_number(value, 2)} không bằng tổng các {units} "
                    f"và cấp tỉnh ({vn_number(parts_sum, 2)}) vì ô {text_parts} ghi "
                    "số dạng chữ (văn bản) nên công thức SUM của Excel bỏ qua. Hãy nhập lại "
                    "các ô đó thành số (xóa dấu nháy ' hoặc định dạng Text) rồi lưu lại."
                )
            return (
                f"Ô {cell}: Tổng cộng {vn_number(value, 2)} không bằng tổng các {units} "
                f"và cấp tỉnh ({vn_number(parts_sum, 2)}). Hãy kiểm tra lại số liệu."
            )
    raise ValueError(f"no message for rule {rule!r}")


def rule_message(
    description_vi: str,
    place: str,
    left: str,
    left_value: float | None,
    right: str,
    right_value: float | None,
) -> str:
    return (
        f"{place}: {description_vi} ({left} = {vn_number(left_value, 2)}, "
        f"{right} = {vn_number(right_value, 2)})."
    )
