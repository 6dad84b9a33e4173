"""中文：学习者读到的信息、笔记勘误的更正和已知错误写法的名称（术语依 d2l-zh：中文在前，
英文原词在第一次出现时附在括号里）。"""

MESSAGES = {
    # 在 Python 中使用 handgrad（handgrad.check、handgrad.gradcheck）
    "api_passed": "通过：你的部件的每一行都与 torch 的相同",
    "api_failed": "尚未通过：见标为 FAIL 或 TODO 的行，以及表格下方的诊断",
    "api_source_and_pieces": "check() 接收一个文件或模块，或者以关键字参数给出的部件，不能两者都给",
    "gc_title": "梯度检验：你的 backward 与中心差分（h = {h}）比较，在 float64 中计算；"
                "每个输入的相对误差为 max |a - n| / max(1e-8, |a| + |n|)",
    "gc_input": "输入 {k}",
    "gc_line": "  {input}：{error}",
    "gc_input_col": "输入",
    "gc_no_input": "gradcheck 的输入中需要有浮点张量：梯度就是对它们求的",
    "gc_complex": "gradcheck 只接受实数张量：复数输入在这里没有沿单一实方向的中心差分",
    "gc_wrong": "大于 1e-2：梯度很可能是错的（CS231n 的解读）",
    "gc_uneasy": "在 1e-4 与 1e-2 之间：应当感到不安，再检查一遍（CS231n 的解读）",
    "gc_kinks": "在 1e-7 与 1e-4 之间：若函数在输入附近有折点（ReLU、max），可以接受；"
                "对光滑函数（sigmoid、tanh、softmax）则偏高（CS231n 的解读）",
    "gc_right": "不大于 1e-7：梯度是对的（CS231n 的解读）",
    # 检查的发现：表格的最后一列和诊断
    "m_one_none": "一方为 None",
    "m_shape": "形状为 {yours}，torch 的为 {theirs}",
    "m_sample_refused": "样本 {k} 被拒绝：{error}",
    "m_refused_unasked": "拒绝了参数 {argument!r}，但样本并没有传入它",
    "m_refused_unasked_why": "拒绝了参数 {argument!r}，但样本并没有传入它（{error}）",
    "m_outputs": "{yours} 个输出，torch 给出 {theirs} 个",
    "m_gradcheck": "gradcheck 未通过：backward 不是 forward 的导数（与有限差分不一致）",
    "m_dtype": "dtype 为 {yours}，torch 返回的是 {theirs}",
    "m_memory_format": "内存格式（contiguous、channels_last）为 {yours}，torch 的为 {theirs}",
    "m_computes_where_refused": "torch 拒绝的输入，你的实现却算出了结果（{error}）",
    "m_tally": "{total} 个样本：{equal} 个相等，{refused} 个被拒绝，{wrong} 个不同{theirs}"
               "{closer}{skipped}",
    "m_tally_closer": "（{n} 个输出超出了 torch 的容差，但在精确结果的容差之内，或比 torch 的"
                      "更接近精确结果）",
    "m_tally_skipped": "；{n} 个跳过：{why}",
    "m_tally_torch_wrong": "，{n} 个是 torch 算错：{why}",
    "m_no_sample": "{device} 上没有 {name!r} 的 {dtype} 样本",
    "m_distance": "与 float64 结果的最大距离：你的 {yours:.2e}，torch 的 {theirs:.2e}",
    "m_distance_times": "与 float64 结果的距离是 torch 的 {times:.2f} 倍（至多允许 {factor} 倍）",
    "m_state_keys": "状态的键为 {yours}，torch 的为 {theirs}",
    "m_state_kind": "状态为 {yours}，torch 保存的是 {theirs}",
    "m_no_difference": "两种写法相差仅 {rel:.1e}：没有显出差别",
    "m_torch_transform_fails": "torch 自己的 {label} 失败（{error}）",
    "m_results": "{yours} 个结果，torch 的变换给出 {theirs} 个",
    "m_optim_db": "torch 的 optim_db 中的 {n} 种配置，实数和复数，各 {steps} 步，第 {swap} 步"
                  "交换 state_dict",
    "m_no_optim_db": "torch 的 optim_db 中没有 {name} 的配置",
    "m_holds": "在 {total} 个点中的 {n} 个成立",
    "m_fails_at": "在 {total} 个点中的 {n} 个不成立",
    "m_refused_alike": "{label}被拒绝，与 torch 相同：{error}",
    "m_refused_unlike": "你的：{yours}；torch：{theirs}",
    "m_computes": "算出了结果",
    "m_from_step": "{why}，从第 {step} 步起",
    "m_steps_skipped": "{n} 步跳过：{why}",
    "m_fit_steps": "{what}：{steps} 步（{rule}）；torch 的 SGD：{ref} 步",
    "m_not_converged": "没有收敛：{reason}",
    "m_steps_differ": "{steps} 步，torch 的 SGD 用了 {ref} 步",
    "m_cannot_compile": "未运行：torch {version} 无法把手写的 Function 整体编译；torch.compile "
                        "的各行从 torch {since} 起运行",
    "m_torch_lacks": "torch {version} 没有 {name} 的 {dtype} {what}（见它自己的 OpInfo）",
    "w_gradient": "梯度",
    "w_kernel": "内核（kernel）",
    "label_manual_from_torch": "{label}，手写的从 torch 的 state_dict 载入，",
    "label_torch_from_manual": "{label}，torch 的从手写的 state_dict 载入，",
    "label_loss_at": "损失：",
    "label_second_backward": "二阶反向传播",
    "label_second_derivative": "二阶导数",
    "label_round_trip": "state_dict 存取一次之后",
    "label_lr_at": "学习率：",
    "label_initial": "初始的 {name}",
    "label_param_groups": "参数组（param groups），",
    "label_backward": "反向传播",
    "joined": "；",
    "label_ranks": "{world} 个进程",
    "label_rank": "{world} 个进程，rank {rank}，{what}：",
    "w_length": "长度为 {n} 的向量",
    "w_adam": "Adam",
    "m_shard": "这个 rank 保存其状态的参数 {yours} 不是 ZeroRedundancyOptimizer 的分片 {theirs}",
    "label_vmap_first": "vmap（只批处理第一个输入）",
    "label_batched_grads": "批量梯度（batched gradients）",
    "label_recompiled": "换新形状后重新编译",
    "label_complex": "{desc}（复数）",
    "label_sparse": "稀疏梯度，{kwargs}，",
    "label_defaults": "默认设置",
    "label_the_defaults": "默认设置",
    "label_lr": "学习率 {lr}",
    "label_vs_closed": "{what}：梯度下降与闭式解",
    "label_vs_torch": "{what}：梯度下降与 torch 的梯度下降",
    # 未通过的行下面的诊断
    "todo": "尚未实现：{what}",
    # 起始文件在留给学习者的地方抛出的信息
    "todo_body": "请推导 {name}",
    "todo_update": "请推导 {name} 的参数更新（update）",
    "todo_lr_at": "请推导 lr_at",
    "todo_backward": "请推导反向传播（backward）",
    "todo_at": "。位置：{site}",
    "case_heading": "{case}（{dtype}，{device}）：",
    # 未通过的位置
    "site_sample": "样本 {value}",
    "site_step": "第 {value} 步",
    "site_param": "参数 {value}",
    "site_state": "状态 {value}",
    "site_grad": "输入 {value} 的梯度",
    "site_output": "输出 {value}",
    "site_what": "{site}：{what}",
    "failed": "未通过：{text}",
    "parting": "两条轨迹在第 {step} 步分开：{where}",
    "first_difference": "第一处不同：{site}，元素 {index}{at}：torch 为 {torch}，你的为 {yours}",
    "input_there": "（该处的输入：{value}）",
    "slip": "你的{part}与已知的错误写法（known slip）“{label}”相同{source}",
    "slip_source": "（出自“{section}”一节）",
    "erratum": "笔记原文：{quote}；更正：{correction}",
    "part_backward": "反向传播（backward）",
    "part_forward": "前向传播（forward）",
    "part_update": "参数更新（update）",
    "part_state": "参数更新中的状态（state）",
    "part_piece": "实现",
    # 无法检查的学习者文件（一行，退出状态 2）
    "with_folder": "{spec}：这是一个文件夹；请给出写有你的部件的 .py 文件",
    "with_missing": "{spec}：没有这个文件",
    "with_import": "{spec}：无法导入 {name!r}（{error}）",
    "with_exit": "{spec}：它在加载时调用了 {call}({code}){line}；被检查的文件只应"
                 "定义它的部件",
    "with_raised": "{spec}：导入失败{line}：{error}",
    "with_syntax": "{spec}：{place}有语法错误：{error}{hint}",
    "with_not_source": "{spec}：不是 Python 源代码：{error}{hint}",
    "with_is_python": "（这是 Python 文件吗？）",
    "with_timeout": "{seconds} 秒后已停止（--timeout）：你的文件的检查没有结束；"
                    "请找一找永不结束的循环",
    "with_ended": "你的文件的进程以{how}结束，早于检查的结束：上面的各行就是它完成的全部",
    "at_line": "（{place}）",
    "place_line": "第 {line} 行",
    "place_cell": "第 {cell} 个单元格的第 {line} 行",
    "notebook_not_json": "{spec}：不是笔记本文件（其中的 JSON 无法读取：{error}）",
    "notebook_no_cells": "{spec}：不是笔记本文件（其中没有单元格列表）",
    "no_match": "--with {spec}：其中没有 handgrad 检查的部件的名字；文件中的名字：{names}；"
                "部件：{pieces}；请用 --as NAME=PIECE 指定{example}",
    "no_match_example": "，例如 --as {name}={piece}",
    "no_names": "无",
    "not_callable": "{name} 是 {kind} {value}，不是函数或类：请定义它，例如 "
                    "def {name}(...): ...",
    "extra_parameter": "{name}{signature}：参数 {extra!r} 不在 torch 的 {op}{op_signature} 中",
    "as_no_piece": "--as {text}：没有名为 {piece!r} 的部件；部件有：{pieces}",
    "as_no_name": "--as {name}={piece}：文件中没有名字 {name!r}",
    # 检查
    "summary": "{rows} 行：{passed} 行通过，{failed} 行未通过{skipped}；反例对照 {controls} 个，"
               "其中 {rejected} 个被拒绝；float64 最大相对误差：输出 {out}，梯度 {grad}；{torch}",
    "skipped": "，{n} 行跳过",
    "advice": "，{n} 行建议（超出练习的要求：只显示，不算未通过；--strict 使其算作未通过）",
    "skipped_jvp": "未检查：你的 Function 没有 jvp，前向模式无法经过它；在 backward 旁边写出 "
                   "jvp(ctx, *tangents)，即 J v，就会检查这一行",
    "skipped_setup_context": "未检查：你的 Function 的 forward 接收 ctx，torch.func 无法变换它；"
                             "把 forward 写成不带 ctx 的形式，另写 "
                             "setup_context(ctx, inputs, output)，就会检查这一行",
    "skipped_vmap": "未检查：你的 Function 没有 vmap 规则；设置 generate_vmap_rule = True "
                    "或写出 vmap(info, in_dims, ...)，就会检查这一行",
    "left_out": "{count} 个 {group} 用例只在要求时运行，它们需要几分钟：{command}",
    "not_checked": "未检查（没有同名的部件；可用 --as NAME=PIECE 指定）：{names}",
    "borrowed": "{name}（它就是 {where} 本身，不是推导）",
    "defined_twice": "{second} 中的 {piece}（评分用的是第一个，{first} 中的 {piece}）",
    "only_borrowed": "没有你自己的推导可检查：{names}；请用 torch 的张量运算推导它"
                     "（handgrad exercise NAME 会写出起始文件）",
    "watching": "正在监视 {path}：每次保存后重新检查（按 Ctrl-C 结束）",
    # 批改全班
    "grade_nothing": "其中没有 handgrad 检查的部件的名字（文件中的名字：{names}）",
    "grade_passed": "通过",
    "grade_absent": "提交中没有 {piece}",
    "grade_todo": "{piece}：尚未实现（仍是起始文件的原样）",
    "grade_title": "# {count} 份提交的成绩",
    "grade_piece": "## {piece}（{points} 分）：{count} 份中 {full} 份得满分",
    "grade_slip": "- {count} 份中 {times} 份与已知的错误写法“{label}”相同{source}",
    "grade_todo_count": "- {count} 份中 {times} 份仍是起始文件的原样",
    "grade_stopped": "## 没有运行完的提交",
    "grade_timeout": "运行超过 {seconds} 秒，已停止{where}；之前完成的部分已保留",
    "grade_while": "（正在检查 {piece}）",
    "grade_crashed": "进程以{how} 结束{where}{why}",
    "grade_why": "：{text}",
    "grade_memory": "超出了 {gb} GiB 的内存上限{where}；之前完成的部分已保留",
    "grade_signal": "信号 {signal}",
    "grade_exit": "退出状态 {status}",
    "grade_garbled": "它的进程发来了不是答复的内容{where}；之前完成的部分已保留",
    "grade_failed": "handgrad 的评分进程在这份提交评完之前结束了"
                    "（这是 handgrad 的问题，不是提交的问题：请重新评分）",
    "grade_too_big": "Python 源代码超过 {most} KiB：不评分",
    "grade_printed": "共输出 {bytes} 字节；保留最后 {kept} 个：",
    "grade_no_sandbox": "评分时每份提交都在沙箱中运行，而这里 bubblewrap（bwrap）"
                        "无法创建沙箱：请安装它（apt-get install bubblewrap），"
                        "或用 --no-sandbox 在没有隔离的情况下评分"
                        "（那样提交的代码能读写你能读写的一切）",
    "grade_builtins": "{piece}：不得分：它调用了 {names}，这正是要推导的内容",
    "handmade_builtin": "{piece}：不得分：它调用了 {name}（{file} {place}），"
                        "这正是要亲手推导的内置函数",
    "handmade_autograd": "{piece}：不得分：它用 {name}（{file} {place}）向 autograd 要导数，"
                         "而不是亲手推导",
    "handmade_handgrad": "{piece}：不得分：它用了 handgrad 自己的答案 {name}"
                         "（{file} {place}）",
    "handmade_hidden": "{piece}：不得分：它通过 {name}（{file} {place}）调用代码，"
                       "无法读出它调用了什么；请直接按名字调用 torch 的函数",
    "grade_named": "{name}：{said}",
    "grade_ran": "已检查：{pieces}",
    "grade_written": "已写到 {out}：grades.csv、summary.md，以及 submissions/ 下每份提交的 "
                     "feedback.txt、results.json 和 printed.txt",
    # 练习的起始文件
    "exercise_title": "练习：{name}，手工推导。",
    "exercise_section": "笔记章节：{section}。",
    "exercise_update": "请根据类文档字符串中的伪代码，在下面写出 update()。",
    "exercise_lr_at": "请在下面写出 lr_at()：先预热（warm-up），再衰减，逐步计算学习率。",
    "exercise_body": "请根据笔记中的公式，在下面写出 {name}。",
    "exercise_backward": "请在下面写出 {function}.backward：用链式法则（chain rule）求上面前向"
                         "传播的导数。",
    "exercise_jvp": "之后如果愿意，再写 {function}.jvp(ctx, *tangents)：前向模式，J v\n"
                    "（forward_ 行检查它；用 ctx.save_for_forward 保存它需要的量）。",
    "exercise_verdict": "在 float64 和 float32 下、在我们的样本和 torch 自己的样本上各行都通过，"
                        "它就通过；\n除此之外的行只是建议（只显示，不算未通过）。",
    "exercise_check": "检查方法：  {command}",
    "no_exercise": "没有名为 {name!r} 的练习；`handgrad exercise --list` 列出全部练习：{names}",
    "exercise_run_check": "写好上面的单元格后，运行下面的单元格：它像 `handgrad check --with` "
                          "一样检查本笔记本中定义的部件，并显示表格，未通过的行下面附有诊断。",
    "exercise_cell_check": "检查：与 handgrad check --with 相同的各行，显示为表格",
    "exercise_cell_graded": "在这里运行；批改笔记本时不运行",
    "exercise_exists": "{path} 已存在：其中可能有你的工作；请用 --out 另选文件，或加 --force",
    "exercise_unwritable": "无法写入 {path}（{error}）；请在你有写权限的文件夹中运行，或用 "
                           "--out FILE 另选文件",
    "exercise_wrote": "已写出 {path}：请写出{what}，然后运行  {command}",
    "what_backward": "反向传播",
    "what_update": "参数更新",
    "what_lr_at": " lr_at",
    "hint_backward": "# grad 是 dL/d(输出)；为 forward 的每个输入返回 dL/d(输入)\n"
                     "# （不是张量的输入返回 None），所需的量取自 forward 存在 ctx 中的值",
    "hint_update": "# p：参数；g：它的梯度（已计入 maximize 和权重衰减 weight decay）\n"
                   "# state：该参数的 {state_keys}（视设置而用），由 init_state 创建\n"
                   "#   （若有 state[\"step\"]，它已经计入这一步）\n"
                   "# group：group[\"lr\"] 及这个类的其他设置\n"
                   "# 原地修改 p 和 state（p.add_(...)、m.mul_(...)）：调用者保留它们。",
}

CORRECTIONS = {
    "erratum_least_squares_is_linear":
        "用最小二乘法拟合直线是线性回归（linear regression）。逻辑回归（logistic regression）"
        "建模的是 (0, 1) 之间的概率 sigma(w x + b)，无法拟合 y = 1.5x + 0.25。",
    "erratum_bias_threshold":
        "对 y = x1 + x2 - 1，表格把 y = 1（两件事都发生）标为激活，所以神经元在 y > 0 时激活"
        "（对 0/1 输入即 y >= 1）；“> 1”对任何输入都不激活。表格还漏掉了 (0, 1)，它给出 "
        "y = 0：不激活。",
    "erratum_weighted_sum_not_average":
        "神经元求的是加权和 sum_i w_i x_i + b，不是加权平均：权重之和不必为 1，也不除以"
        "权重之和。",
    "erratum_output_layer_indices":
        "y_k = f(sum_j w_jk h_j + b_k)：求和遍历隐藏单元 j（用 h_j），每个输出 k 有自己的"
        "权重 w_jk（正如笔记下一行所写）。",
    "erratum_sigmoid_sign":
        "sigma(y) = 1 / (1 + e^{-y})。用减号时函数在 y = 0 处有极点，并且会超出 (0, 1)。",
    "erratum_sigmoid_derivative_of_output":
        "dout/dnet = sigma(net)(1 - sigma(net)) = out (1 - out)：sigma 只作用于 net 一次，"
        "不再作用于 out。dE/dnet_h1 中也有同样的错误。",
    "erratum_w5_without_error_factor":
        "dE/dw5 = (out_o1 - target_o1) out_o1 (1 - out_o1) out_h1，dE/db_o1 = (out_o1 - "
        "target_o1) out_o1 (1 - out_o1)：链式法则从 dE/dout = out - target 开始。",
    "erratum_w1_chain_rule":
        "dE/dw1 = sum_o (out_o - target_o) out_o (1 - out_o) w_(o,h1) h1 (1 - h1) x1：隐藏单元"
        "自身的导数 h1 (1 - h1) 是一个因子，经过两个输出的路径要相加。",
    "erratum_sigmoid_slope_at_most_quarter":
        "sigma'(x) = sigma (1 - sigma) 至多为 1/4，在 x = 0 处取到：取值范围是 (0, 1/4]。"
        "正是这个上界使梯度在多层 sigmoid 中消失（梯度消失，vanishing gradient）。",
    "erratum_gradient_step_sign":
        "theta_new = theta_old - eta g：沿梯度的反方向走一步，即下山（正如笔记自己在"
        "“梯度下降的过程”中所写）。用 + 号时拟合会爬离碗底而发散。",
    "erratum_average_over_examples":
        "梯度应对 m 个样本取平均，g = (1/m) sum_i grad E_i，而不是对 n + 1 个参数取平均；"
        "否则步长随数据集的大小增长（这里是 20 倍，对均值收敛的学习率会使下降发散）。",
    "erratum_minibatch_samples_examples":
        "小批量随机梯度下降（mini-batch SGD）随机抽取一部分样本，用它们的平均梯度更新"
        "所有权重。",
    "erratum_momentum_sign":
        "theta_t = theta_(t-1) - v_t。（学习率 eta 不变时，它与 torch 的 SGD 动量 "
        "b = mu b + g, theta -= eta b 逐步相同。）",
    "erratum_momentum_starts_at_zero":
        "速度从零开始，v_0 = 0，所以第一步是 v_1 = eta g_1。",
    "erratum_adaptive_rates_are_not_warmup":
        "AdaGrad 和 RMSProp 是逐参数的自适应学习率：AdaGrad 的步长只会随平方梯度的累加而"
        "缩小。预热（warm-up）是在最初几步中提高学习率的调度（manual/schedules.py）。",
    "erratum_adagrad_divides_by_root_sum":
        "AdaGrad 除以 sqrt(sum g^2) + eps，即平方梯度之和的平方根（正如笔记自己的公式），"
        "而不是它们的方差。",
    "erratum_adam_r_is_second_moment":
        "r 是平方梯度的滑动平均（二阶矩，torch 的 exp_avg_sq）；学习率是 eta，一步为 "
        "eta s_hat / (sqrt(r_hat) + eps)。",
    "erratum_cross_entropy_one_hot_targets":
        "变成独热（one-hot）向量的是目标；输出经过 softmax，损失为 -sum_c t_c log "
        "softmax(z)_c。把输出变成独热向量会得到 log 0，也没有梯度。",
    "erratum_padding_keeps_size":
        "在 3x3 卷积核周围补一圈 0 会保持特征图的大小（H + 2 - 3 + 1 = H），并不增大。"
        "填充（padding）阻止了缩小，并让边缘像素和中间像素被用到同样多次。",
}
