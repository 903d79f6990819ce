// The benchmarks' inputs: software-documentation prose to cut to a token count, and hover-sized
// sentences of 5, 15 and 30 words in both languages (none of them in the training data).

/** Long English prose; inputs of N tokens are its first N tokens. */
export const ENGLISH_PROSE = [
  'The editor opens the selected file in a new tab and keeps the previous tab open until you close it.',
  'When the language server starts, it reads the configuration of the workspace and reports every problem it finds in the problems panel.',
  'Each attention head looks at every token of the sentence and decides how much of each one it carries to the next layer.',
  'If the model cannot be loaded, the status bar shows the reason and the previous model stays available.',
  'You can change the number of threads in the settings; the default lets the runtime choose one thread per physical core.',
  'The test suite runs the extension inside a real editor, clicks through the command palette and compares the result with known values.',
  'Large files are read in pieces, so the window stays responsive while the search index is rebuilt in the background.',
  'Press the button again to cancel the download; the part that was already received is kept and the next attempt resumes from there.',
  'The report is written as one page that opens offline in any browser and contains every chart of the panel.',
  'A setting that is changed in the workspace overrides the same setting in the user profile for that folder only.',
].join(' ');

/** Chinese prose of the same kind, the decoder side of teacher-forced inspections. */
export const CHINESE_PROSE = [
  '编辑器在新的标签页中打开所选文件，并保留之前的标签页，直到您将其关闭。',
  '语言服务器启动时会读取工作区的配置，并在问题面板中报告它发现的每一个问题。',
  '每个注意力头都会查看句子中的每个词元，并决定把多少信息传递到下一层。',
  '如果无法加载模型，状态栏会显示原因，之前的模型仍然可以使用。',
  '您可以在设置中更改线程数；默认情况下，运行时为每个物理核心选择一个线程。',
  '测试套件在真实的编辑器中运行扩展，点击命令面板，并将结果与已知的值进行比较。',
  '大文件会分块读取，因此在后台重建搜索索引时窗口仍然能够及时响应。',
  '再次按下按钮可以取消下载；已经收到的部分会被保留，下次尝试会从那里继续。',
  '报告写成一个页面，可以在任何浏览器中离线打开，并包含面板中的所有图表。',
  '在工作区中更改的设置只会覆盖该文件夹的用户配置中的同一设置。',
].join('');

/** Hover-sized inputs by length in words (Chinese: about 1.6 characters per English word). */
export const HOVER_SENTENCES: Record<5 | 15 | 30, { en: string[]; zh: string[] }> = {
  5: {
    en: ['Open the file again.', 'Save all changed documents.', 'The password is too short.', 'Select a folder to continue.', 'Restart the language server now.', 'Copy the link to clipboard.'],
    zh: ['请重新打开文件。', '保存所有文档。', '密码太短了。', '选择一个文件夹。', '立即重启服务器。', '复制链接地址。'],
  },
  15: {
    en: [
      'Returns the number of rows in the selected table, or zero when the table is empty.',
      'Press Enter to confirm the new name, or press Escape to keep the old one.',
      'The download failed because the server closed the connection before the file was complete.',
      'Choose the folder where the exported files are saved and give the report a name.',
      'If the cell contains a formula, the result is shown instead of the formula itself.',
      'This option hides all comments in the document until you turn it on again.',
    ],
    zh: [
      '返回所选表格中的行数，如果表格为空则返回零。',
      '按回车键确认新名称，或者按退出键保留旧名称。',
      '下载失败，因为服务器在文件完成之前关闭了连接。',
      '选择保存导出文件的文件夹，并为报告指定一个名称。',
      '如果单元格包含公式，则显示结果而不是公式本身。',
      '此选项会隐藏文档中的所有批注，直到您再次打开它。',
    ],
  },
  30: {
    en: [
      'The function reads the configuration file from the workspace folder, checks every value against the schema, and returns a list of problems that the editor shows in the panel below.',
      'When you insert a new column to the left of the current column, all formulas that refer to cells on the right are updated so that they still point to the same data.',
      'Before the document is printed, the preview shows each page as it will appear on paper, including headers, footers and the page numbers that the style defines.',
      'If the connection to the database is lost while a query is running, the results that were already received are kept and the query can be started again later.',
      'The cache keeps the five hundred most recent translations in memory, so hovering over the same comment a second time shows the result at once without running the model.',
      'Use this dialog to define the sort order of the selected range, choosing up to three keys and whether each of them sorts in ascending or descending order.',
    ],
    zh: [
      '该函数从工作区文件夹读取配置文件，根据架构检查每一个值，并返回编辑器在下方面板中显示的问题列表。',
      '在当前列的左侧插入新列时，所有引用右侧单元格的公式都会更新，使它们仍然指向相同的数据。',
      '在打印文档之前，预览会显示每一页在纸上的样子，包括页眉、页脚以及样式所定义的页码。',
      '如果在查询运行时与数据库的连接中断，已经收到的结果会被保留，之后可以再次启动查询。',
      '缓存在内存中保存最近的五百条翻译，因此再次悬停在同一条注释上时会立即显示结果，而无需运行模型。',
      '使用此对话框定义所选区域的排序顺序，最多选择三个键，并为每个键选择升序或降序排序。',
    ],
  },
};

/** `text` repeated until it is at least `chars` characters long. */
export function atLeast(text: string, chars: number): string {
  let out = text;
  while (out.length < chars) out += ' ' + text;
  return out;
}
